import { describe, expect, it } from 'vitest';
import { E2EE_BOX_BYTES, e2eeHello, e2eeKey, isE2eeData, parseE2eeMessage } from './e2ee-messages.js';
import { toBase64 } from './base64.js';

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (seed * 31 + i * 97) & 0xff);

describe('e2ee messages', () => {
  it('round-trips hello and key through JSON', () => {
    const pub = bytes(32);
    const hello = parseE2eeMessage(JSON.parse(JSON.stringify(e2eeHello(pub, true))));
    expect(hello).toEqual({ ok: true, message: { type: 'e2ee-hello', v: 1, pub, want: true } });
    expect(JSON.stringify(e2eeHello(pub, false))).not.toContain('want');
    const nonce = bytes(12, 2);
    const box = bytes(E2EE_BOX_BYTES, 3);
    const key = parseE2eeMessage(JSON.parse(JSON.stringify(e2eeKey(255, nonce, box))));
    expect(key).toEqual({ ok: true, message: { type: 'e2ee-key', v: 1, keyId: 255, nonce, box } });
  });

  it('tells other data from broken e2ee messages, never throwing', () => {
    expect(parseE2eeMessage({ type: 'signal' })).toEqual({ ok: false, reason: 'not-e2ee' });
    expect(parseE2eeMessage(null)).toEqual({ ok: false, reason: 'not-e2ee' });
    expect(isE2eeData({ type: 'e2ee-anything' })).toBe(true);
    const good = e2eeKey(1, bytes(12), bytes(E2EE_BOX_BYTES));
    for (const bad of [
      { ...good, v: 2 },
      { ...good, keyId: -1 },
      { ...good, keyId: 1.5 },
      { ...good, keyId: '1' },
      { ...good, nonce: toBase64(bytes(11)) },
      { ...good, box: toBase64(bytes(E2EE_BOX_BYTES + 1)) },
      { ...e2eeHello(bytes(32), false), pub: toBase64(bytes(33)) },
      { ...e2eeHello(bytes(32), false), want: 'yes' },
      { type: 'e2ee-other', v: 1 },
    ]) {
      expect(parseE2eeMessage(bad), JSON.stringify(bad)).toEqual({ ok: false, reason: 'malformed' });
    }
  });
});
