/**
 * The key agreement of sealed frames (ADR 0010, docs/protocol.md "End-to-end encryption"), as data
 * objects in the relay's signaling `publish` (the relay stamps `from`, the sender's attested peer id):
 *
 * - `{type: 'e2ee-hello', v: 1, pub, want?}` — the visit's X25519 public key (32 bytes, base64). To
 *   everyone when a visit starts, to each newcomer, and in reply to a hello with `want: true` (the
 *   sender does not know our key yet).
 * - `{type: 'e2ee-key', v: 1, keyId, nonce, box}` — a *sender key* for one receiver (`to`): `box` is
 *   ChaCha20-Poly1305 of `key (32 B) ‖ salt (4 B)` under the pairwise key, with a random 12-byte
 *   `nonce` (base64), `keyId` a u8.
 *
 * Binary fields are standard base64 with padding; parsing accepts only the canonical encoding of
 * the exact length. Parsing never throws.
 */
import { fromBase64, toBase64 } from './base64.js';

export const E2EE_VERSION = 1;
export const E2EE_PUBLIC_KEY_BYTES = 32;
export const E2EE_WRAP_NONCE_BYTES = 12;
/** The wrapped sender key: key 32 B ‖ salt 4 B, plus a 16-byte tag. */
export const E2EE_BOX_BYTES = 32 + 4 + 16;

export interface E2eeHello {
  type: 'e2ee-hello';
  v: typeof E2EE_VERSION;
  pub: Uint8Array;
  /** The sender does not know our public key yet: reply with a hello. */
  want: boolean;
}

export interface E2eeKey {
  type: 'e2ee-key';
  v: typeof E2EE_VERSION;
  keyId: number;
  nonce: Uint8Array;
  box: Uint8Array;
}

export type E2eeMessage = E2eeHello | E2eeKey;

export type ParseE2eeResult =
  | { ok: true; message: E2eeMessage }
  /** `not-e2ee`: some other signaling data (the caller passes it on); `malformed`: an e2ee type, broken. */
  | { ok: false; reason: 'not-e2ee' | 'malformed' };

export function e2eeHello(pub: Uint8Array, want: boolean): Record<string, unknown> {
  return { type: 'e2ee-hello', v: E2EE_VERSION, pub: toBase64(pub), ...(want ? { want: true } : {}) };
}

export function e2eeKey(keyId: number, nonce: Uint8Array, box: Uint8Array): Record<string, unknown> {
  return { type: 'e2ee-key', v: E2EE_VERSION, keyId, nonce: toBase64(nonce), box: toBase64(box) };
}

/** True for data whose type names an e2ee message (valid or not): the key agreement owns it. */
export function isE2eeData(data: unknown): boolean {
  if (typeof data !== 'object' || data === null) return false;
  const type = (data as Record<string, unknown>).type;
  return typeof type === 'string' && type.startsWith('e2ee-');
}

export function parseE2eeMessage(data: unknown): ParseE2eeResult {
  if (!isE2eeData(data)) return { ok: false, reason: 'not-e2ee' };
  const value = data as Record<string, unknown>;
  const malformed = { ok: false, reason: 'malformed' } as const;
  if (value.v !== E2EE_VERSION) return malformed;
  switch (value.type) {
    case 'e2ee-hello': {
      const pub = fromBase64(value.pub, E2EE_PUBLIC_KEY_BYTES);
      if (!pub || (value.want !== undefined && typeof value.want !== 'boolean')) return malformed;
      return { ok: true, message: { type: 'e2ee-hello', v: E2EE_VERSION, pub, want: value.want === true } };
    }
    case 'e2ee-key': {
      const { keyId } = value;
      const nonce = fromBase64(value.nonce, E2EE_WRAP_NONCE_BYTES);
      const box = fromBase64(value.box, E2EE_BOX_BYTES);
      if (!Number.isInteger(keyId) || (keyId as number) < 0 || (keyId as number) > 0xff || !nonce || !box) {
        return malformed;
      }
      return { ok: true, message: { type: 'e2ee-key', v: E2EE_VERSION, keyId: keyId as number, nonce, box } };
    }
    default:
      return malformed;
  }
}
