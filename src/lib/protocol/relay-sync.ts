/**
 * Yjs sync and presence between two players who have no direct link (an SFU room, a pair that
 * cannot connect): the reliable-channel messages of `sync-wire.ts`, carried as the `data` of a
 * signaling `publish` instead of over a data channel. The relay stamps the sender's attested
 * identity (`from`) on it, which is what the receiver's update guard trusts, exactly as it trusts a
 * link the relay attested.
 *
 *   { type: 'sync', v: RELAY_SYNC_VERSION, data: [<base64 of one sync-wire message>, …] }
 *
 * `data` holds 1…{@link RELAY_SYNC_MAX_MESSAGES} messages in send order (several messages share one
 * publish because the relay limits messages per second; `data` as one string is accepted too). A
 * publish without `to` goes to everyone else in the room (a change all of them need); with `to`, to one
 * player. The whole frame stays under the relay's frame limit: at most {@link RELAY_SYNC_MAX_CHARS} of
 * base64. Parsing never throws.
 */
import { fromBase64, toBase64 } from './base64.js';
import { SYNC_CHUNK_BYTES } from './sync-wire.js';

export { base64Length } from './base64.js';

export const RELAY_SYNC_VERSION = 1;
export const RELAY_SYNC_MAX_MESSAGES = 64;
/** Base64 characters one publish carries at most (JSON and the relay's envelope fit in 64 KiB with it). */
export const RELAY_SYNC_MAX_CHARS = 48 * 1024;
/** A sync-wire message is at most one chunk plus its header; base64 makes 4 characters of 3 bytes. */
const MAX_MESSAGE_CHARS = Math.ceil((SYNC_CHUNK_BYTES + 32) / 3) * 4;

export interface RelaySyncMessage {
  type: 'sync';
  v: number;
  data: string[];
}

export function encodeRelaySync(messages: readonly Uint8Array[]): RelaySyncMessage {
  return { type: 'sync', v: RELAY_SYNC_VERSION, data: messages.map(toBase64) };
}

export function isRelaySync(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'sync';
}

/** The messages of a `sync` publish, or null when it is malformed, too large, or another version. */
export function parseRelaySync(data: unknown): Uint8Array[] | null {
  if (!isRelaySync(data)) return null;
  const { v, data: payload } = data as { v?: unknown; data?: unknown };
  if (v !== RELAY_SYNC_VERSION) return null;
  const list = typeof payload === 'string' ? [payload] : payload;
  if (!Array.isArray(list) || list.length === 0 || list.length > RELAY_SYNC_MAX_MESSAGES) return null;
  let chars = 0;
  const messages: Uint8Array[] = [];
  for (const entry of list) {
    if (typeof entry !== 'string' || entry.length === 0 || entry.length > MAX_MESSAGE_CHARS) return null;
    chars += entry.length;
    if (chars > RELAY_SYNC_MAX_CHARS) return null;
    const bytes = fromBase64(entry);
    if (!bytes) return null;
    messages.push(bytes);
  }
  return messages;
}
