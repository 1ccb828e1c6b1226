/**
 * Pins a live room's mode on the relay with the signed control message PocketBase's pushes use
 * (src/lib/protocol/relay-control.ts): how the SFU row of bench:latency forces a band onto the SFU.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  RELAY_CONTROL_AUTH_SCHEME,
  RELAY_CONTROL_CONTEXT,
  RELAY_CONTROL_PATH,
  RELAY_CONTROL_VERSION,
} from '../../relay/dist/src/lib/protocol/relay-control.js';

/**
 * Retries (bounded, 20 s) until the relay says the room is live with at least `players` players: pages
 * that just opened may not have joined yet, and a room that is not live is not pinned.
 * @param {{ relayHttpUrl: string, secretFile: string, studio: string, mode: 'mesh' | 'sfu' | 'auto',
 *   players: number }} options
 */
export async function forceRoomMode(options) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const affected = await postRoomMode(options);
    if (affected >= options.players) return;
    if (Date.now() > deadline) throw new Error(`room-mode ${options.mode}: the room has ${affected} players`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function postRoomMode({ relayHttpUrl, secretFile, studio, mode }) {
  const secret = readFileSync(secretFile, 'utf8').trim();
  const body = JSON.stringify({
    v: RELAY_CONTROL_VERSION,
    kind: 'room-mode',
    studio,
    mode,
    iat: Math.floor(Date.now() / 1000),
  });
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8')).update(RELAY_CONTROL_CONTEXT).update(body);
  const response = await fetch(`${relayHttpUrl}${RELAY_CONTROL_PATH}`, {
    method: 'POST',
    body,
    headers: {
      authorization: `${RELAY_CONTROL_AUTH_SCHEME} ${mac.digest('hex')}`,
      'content-type': 'application/json',
    },
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok)
    throw new Error(`the relay refused room-mode ${mode}: ${response.status} ${await response.text()}`);
  const reply = await response.json();
  return typeof reply.affected === 'number' ? reply.affected : 0;
}
