import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createResumeTokens, type ResumeVisit } from './resume-token.js';

const SECRET = 'resume-test-secret-0123456789abcdef0123';
const visit: ResumeVisit = {
  studioId: 'abc123',
  userId: 'user0001',
  client: 4242,
  peerId: 'AAAAAAAAAAAAAAAAAAAAAA',
};

describe('resume tokens', () => {
  it('are the documented HMAC, stable across instances with the same secret', () => {
    const expected = createHmac('sha256', Buffer.from(SECRET, 'utf8'))
      .update('bandmesh-resume\nabc123\nuser0001\n4242\nAAAAAAAAAAAAAAAAAAAAAA')
      .digest('base64url');
    expect(createResumeTokens({ secret: SECRET }).issue(visit)).toBe(expected);
    // A restarted relay (a new instance) accepts tokens of the old one.
    expect(createResumeTokens({ secret: SECRET }).verify(visit, expected)).toBe(true);
  });

  it('refuse any other studio, user, client id, peer id, secret or garbage', () => {
    const tokens = createResumeTokens({ secret: SECRET });
    const token = tokens.issue(visit);
    for (const other of [
      { ...visit, studioId: 'abc124' },
      { ...visit, userId: 'user0002' },
      { ...visit, client: 4243 },
      { ...visit, peerId: 'AAAAAAAAAAAAAAAAAAAAAB' },
    ]) {
      expect(tokens.verify(other, token)).toBe(false);
    }
    expect(createResumeTokens({ secret: `${SECRET}x` }).verify(visit, token)).toBe(false);
    expect(tokens.verify(visit, `${token}A`)).toBe(false);
    expect(tokens.verify(visit, 'A'.repeat(43))).toBe(false);
    expect(tokens.verify(visit, '')).toBe(false);
  });
});
