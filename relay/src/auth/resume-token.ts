/**
 * Resume tokens (signaling v2, ADR 0008): `subscribed.resume` lets a page that lost its socket, or
 * whose relay restarted, keep its peer id on the next subscribe, so its peers keep their links.
 *
 * A token is base64url(HMAC-SHA256(ticket secret, "bandmesh-resume\n" + studio + "\n" + user + "\n" +
 * client + "\n" + peerId)). It is stateless, so it survives a relay restart that keeps the secret.
 * It only binds a peer id to (studio, user, Yjs client id): it opens nothing by itself, because every
 * subscribe still needs a valid ticket, and the relay checks the token against that ticket's studio
 * and user and the subscribe's client id. The context prefix keeps it apart from the other MACs made
 * with the same secret (tickets sign "eyJ…" text, control messages "bandmesh-relay-control\n…").
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const RESUME_TOKEN_CONTEXT = 'bandmesh-resume\n';

/** The visit a token is bound to. */
export interface ResumeVisit {
  studioId: string;
  userId: string;
  client: number;
  peerId: string;
}

export interface ResumeTokens {
  issue(visit: ResumeVisit): string;
  /** True when `token` was issued for exactly `visit`; compares in constant time. Never throws. */
  verify(visit: ResumeVisit, token: string): boolean;
}

export function createResumeTokens(options: { secret: string | Buffer }): ResumeTokens {
  const key = typeof options.secret === 'string' ? Buffer.from(options.secret, 'utf8') : options.secret;
  const issue = (visit: ResumeVisit): string =>
    createHmac('sha256', key)
      .update(
        `${RESUME_TOKEN_CONTEXT}${visit.studioId}\n${visit.userId}\n${visit.client}\n${visit.peerId}`,
        'utf8',
      )
      .digest('base64url');
  return {
    issue,
    verify(visit, token) {
      const expected = Buffer.from(issue(visit), 'utf8');
      const given = Buffer.from(token, 'utf8');
      // The length is public (every token is 43 characters); only the content is compared in constant time.
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
