/**
 * Standard padded base64 for binary fields in JSON messages (relay sync, e2ee keys). Decoding accepts
 * only the canonical form — the text re-encoding the decoded bytes gives — so one value has one
 * spelling, and never throws.
 */

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Base64 length of `bytes` bytes. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/** The bytes of canonical base64 `text` (exactly `length` of them when given), else null. */
export function fromBase64(text: unknown, length?: number): Uint8Array | null {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  if (length !== undefined && text.length !== base64Length(length)) return null;
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return null;
  }
  if (length !== undefined && binary.length !== length) return null;
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return toBase64(bytes) === text ? bytes : null;
}
