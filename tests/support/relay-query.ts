/**
 * Signed `GET /load` and `GET /rooms/<id>` against a test relay, as PocketBase's placement sends them
 * (relay/src/control/query-auth.ts): the relay answers them only to a holder of the ticket secret.
 */
import { relayQueryHeaders } from '../../relay/src/control/query-auth';
import { TEST_TICKET_SECRET } from './tickets';

/** GETs `path` (e.g. `/load`) from the relay, signed with `secret` (the test secret unless given). */
export function relayQuery(
  relay: { httpUrl: string },
  path: string,
  secret: string = TEST_TICKET_SECRET,
): Promise<Response> {
  return fetch(`${relay.httpUrl}${path}`, {
    headers: relayQueryHeaders(secret, 'GET', path),
    signal: AbortSignal.timeout(5_000),
  });
}
