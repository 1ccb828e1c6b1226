import { createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AUDIO_FRAME_HEADER_BYTES,
  AudioCodec,
  AudioFrameFlag,
  readAudioFrame,
  writeAudioFrameHeader,
} from './audio-frame.js';
import {
  FrameOpener,
  type FrameKey,
  FrameSealer,
  SEALED_COUNTER_OFFSET,
  SEALED_FRAME_VERSION,
  SEALED_KEY_ID_OFFSET,
  SEALED_OVERHEAD_BYTES,
  SEALED_PREFIX_BYTES,
  SEALED_TAG_BYTES,
} from './sealed-frame.js';
import { FRAME_SEQ_OFFSET } from './sfu.js';

function bytes(length: number, start: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i * 7) & 0xff);
}

function frameKey(keyId: number, seed: number): FrameKey {
  return { keyId, key: bytes(32, seed), salt: bytes(4, seed + 100) };
}

/** An Opus frame with a redundant copy: exercises every header field. */
function opusFrame(seq: number, payloadBytes = 48): Uint8Array {
  const redundantBytes = 12;
  const frame = new Uint8Array(AUDIO_FRAME_HEADER_BYTES + payloadBytes + redundantBytes);
  writeAudioFrameHeader(frame, {
    codec: AudioCodec.Opus,
    channels: 2,
    flags: AudioFrameFlag.Redundant,
    seq,
    senderTime: seq * 120,
    frameSamples: 120,
    redundantBytes,
  });
  frame.set(bytes(payloadBytes + redundantBytes, seq), AUDIO_FRAME_HEADER_BYTES);
  return frame;
}

function pcmFrame(seq: number): Uint8Array {
  const frame = new Uint8Array(AUDIO_FRAME_HEADER_BYTES + 480);
  writeAudioFrameHeader(frame, {
    codec: AudioCodec.Pcm16,
    channels: 2,
    flags: 0,
    seq,
    senderTime: 0,
    frameSamples: 120,
  });
  frame.set(bytes(480, 3), AUDIO_FRAME_HEADER_BYTES);
  return frame;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

describe('sealed frames', () => {
  it('round-trips Opus and PCM frames, keeping the header in clear', () => {
    const sealer = new FrameSealer(frameKey(7, 1));
    const opener = new FrameOpener();
    opener.setKey(frameKey(7, 1));
    for (const frame of [opusFrame(41), pcmFrame(42)]) {
      const sealed = sealer.seal(frame)!;
      expect(sealed.length).toBe(frame.length + SEALED_OVERHEAD_BYTES);
      expect(sealed[0]).toBe(SEALED_FRAME_VERSION);
      expect(hex(sealed.subarray(1, AUDIO_FRAME_HEADER_BYTES))).toBe(
        hex(frame.subarray(1, AUDIO_FRAME_HEADER_BYTES)),
      );
      expect(sealed[SEALED_KEY_ID_OFFSET]).toBe(7);
      // The payload is not in clear anywhere in the sealed frame.
      expect(hex(sealed)).not.toContain(
        hex(frame.subarray(AUDIO_FRAME_HEADER_BYTES, AUDIO_FRAME_HEADER_BYTES + 8)),
      );
      const opened = opener.open(sealed);
      expect(opened.ok).toBe(true);
      if (!opened.ok) continue;
      expect(hex(opened.frame)).toBe(hex(frame));
      expect(readAudioFrame(opened.frame).ok).toBe(true);
    }
  });

  it('is standard ChaCha20-Poly1305 (checked by node:crypto) with the documented nonce and AAD', () => {
    const key = frameKey(3, 9);
    const sealer = new FrameSealer(key);
    sealer.seal(opusFrame(1));
    const frame = opusFrame(2);
    const sealed = sealer.seal(frame)!;
    // counter 1 → nonce = salt ‖ 01 00 00 00 ‖ 00 00 00 00
    const nonce = new Uint8Array([...key.salt, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect([...sealed.subarray(SEALED_COUNTER_OFFSET, SEALED_PREFIX_BYTES)]).toEqual([1, 0, 0, 0]);
    const decipher = createDecipheriv('chacha20-poly1305', key.key, nonce, { authTagLength: 16 });
    decipher.setAAD(sealed.subarray(0, SEALED_PREFIX_BYTES), {
      plaintextLength: sealed.length - SEALED_PREFIX_BYTES - SEALED_TAG_BYTES,
    });
    decipher.setAuthTag(sealed.subarray(sealed.length - SEALED_TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(sealed.subarray(SEALED_PREFIX_BYTES, sealed.length - SEALED_TAG_BYTES)),
      decipher.final(),
    ]);
    expect(hex(plain)).toBe(hex(frame.subarray(AUDIO_FRAME_HEADER_BYTES)));
  });

  it('pins the wire format with a fixed vector', () => {
    const sealer = new FrameSealer(frameKey(1, 0));
    const frame = new Uint8Array(AUDIO_FRAME_HEADER_BYTES + 4);
    writeAudioFrameHeader(frame, {
      codec: AudioCodec.Opus,
      channels: 1,
      flags: 0,
      seq: 5,
      senderTime: 600,
      frameSamples: 120,
    });
    frame.set([0xde, 0xad, 0xbe, 0xef], AUDIO_FRAME_HEADER_BYTES);
    expect(hex(sealer.seal(frame)!)).toBe(
      // header (v3) | keyId 1 | counter 0 | ciphertext of de ad be ef | tag — computed with node:crypto
      '03010100050000005802000078000000' + '0100000000' + '3f387791' + 'cf34fd4bb54a44ec5336401868ca58fe',
    );
  });

  it('rejects every single-bit flip anywhere in the sealed frame', () => {
    const sealer = new FrameSealer(frameKey(2, 5));
    const opener = new FrameOpener();
    opener.setKey(frameKey(2, 5));
    const sealed = sealer.seal(opusFrame(9, 20))!;
    let checked = 0;
    for (let i = 0; i < sealed.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = sealed.slice();
        bad[i]! ^= 1 << bit;
        const opened = opener.open(bad);
        expect(opened.ok, `byte ${i} bit ${bit}`).toBe(false);
        if (opened.ok) continue;
        // Version flips are malformed, keyId flips name a key we do not hold, all else fails the tag.
        const expected = i === 0 ? 'malformed' : i === SEALED_KEY_ID_OFFSET ? 'unknown-key' : 'tampered';
        expect(opened.reason, `byte ${i} bit ${bit}`).toBe(expected);
        checked++;
      }
    }
    expect(checked).toBe(sealed.length * 8);
    expect(opener.open(sealed).ok).toBe(true);
  });

  it('rejects a keyId flip to another key the opener holds, and a wrong key under the right keyId', () => {
    const sealer = new FrameSealer(frameKey(4, 1));
    const opener = new FrameOpener();
    opener.setKey(frameKey(4, 1));
    opener.setKey(frameKey(5, 2));
    const sealed = sealer.seal(opusFrame(1))!;
    const relabelled = sealed.slice();
    relabelled[SEALED_KEY_ID_OFFSET] = 5;
    expect(opener.open(relabelled)).toEqual({ ok: false, reason: 'tampered' });

    const wrong = new FrameOpener();
    wrong.setKey(frameKey(4, 2));
    expect(wrong.open(sealed)).toEqual({ ok: false, reason: 'tampered' });
    const sameKeyOtherSalt = new FrameOpener();
    sameKeyOtherSalt.setKey({ ...frameKey(4, 1), salt: new Uint8Array(4) });
    expect(sameKeyOtherSalt.open(sealed)).toEqual({ ok: false, reason: 'tampered' });
  });

  it('rejects truncated, extended, empty and non-sealed input as malformed without throwing', () => {
    const opener = new FrameOpener();
    opener.setKey(frameKey(1, 1));
    const sealed = new FrameSealer(frameKey(1, 1)).seal(opusFrame(3))!;
    expect(opener.open(sealed.subarray(0, SEALED_PREFIX_BYTES + SEALED_TAG_BYTES))).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(opener.open(new Uint8Array(0))).toEqual({ ok: false, reason: 'malformed' });
    expect(opener.open(opusFrame(3))).toEqual({ ok: false, reason: 'malformed' });
    expect(opener.open(new Uint8Array(5000))).toEqual({ ok: false, reason: 'malformed' });
    expect(opener.open('x' as unknown as Uint8Array)).toEqual({ ok: false, reason: 'malformed' });
    expect(opener.open(sealed.subarray(0, sealed.length - 1))).toEqual({ ok: false, reason: 'tampered' });
    const longer = new Uint8Array(sealed.length + 1);
    longer.set(sealed);
    expect(opener.open(longer)).toEqual({ ok: false, reason: 'tampered' });
  });

  it('never repeats a counter under one key, even when the frame seq restarts', () => {
    const sealer = new FrameSealer(frameKey(1, 1));
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const seq = i % 10; // the sender's stream restarting over and over
      const sealed = sealer.seal(opusFrame(seq))!;
      expect(sealed[FRAME_SEQ_OFFSET]).toBe(seq);
      const counter = new DataView(sealed.buffer).getUint32(SEALED_COUNTER_OFFSET, true);
      expect(seen.has(counter)).toBe(false);
      seen.add(counter);
    }
    expect(seen.size).toBe(2000);
    expect(sealer.remaining).toBe(2 ** 32 - 2000);
  });

  it('refuses to seal past its limit (2^32 by default) and says so', () => {
    expect(new FrameSealer(frameKey(1, 1)).remaining).toBe(2 ** 32);
    expect(() => new FrameSealer(frameKey(1, 1), { limit: 2 ** 32 + 1 })).toThrow(RangeError);
    expect(() => new FrameSealer(frameKey(1, 1), { limit: 0 })).toThrow(RangeError);
    const sealer = new FrameSealer(frameKey(1, 1), { limit: 3 });
    for (let i = 0; i < 3; i++) {
      expect(sealer.exhausted).toBe(false);
      expect(sealer.seal(opusFrame(i))).not.toBeNull();
    }
    expect(sealer.exhausted).toBe(true);
    expect(sealer.remaining).toBe(0);
    expect(sealer.seal(opusFrame(3))).toBeNull();
    const out = new Uint8Array(opusFrame(3).length + SEALED_OVERHEAD_BYTES);
    expect(sealer.sealInto(opusFrame(3), out)).toBe(false);
    expect(out.every((b) => b === 0)).toBe(true);
  });

  it('keeps the newest two keys per sender; frames under older keys are unknown', () => {
    const opener = new FrameOpener();
    const sealers = [1, 2, 3].map((id) => new FrameSealer(frameKey(id, id * 10)));
    const sealed = sealers.map((s) => s.seal(opusFrame(1))!);
    for (const id of [1, 2, 3]) opener.setKey(frameKey(id, id * 10));
    expect(opener.keyIds).toEqual([2, 3]);
    expect(opener.open(sealed[0]!)).toEqual({ ok: false, reason: 'unknown-key' });
    expect(opener.open(sealed[1]!).ok).toBe(true);
    expect(opener.open(sealed[2]!).ok).toBe(true);
    opener.clear();
    expect(opener.open(sealed[2]!)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it('copies its key material, and refuses bad keys and non-v2 input to seal', () => {
    const key = frameKey(1, 1);
    const sealer = new FrameSealer(key);
    const opener = new FrameOpener();
    opener.setKey(key);
    key.key.fill(0);
    key.salt.fill(0);
    const opened = opener.open(sealer.seal(opusFrame(1))!);
    expect(opened.ok).toBe(true);
    expect(() => new FrameSealer({ ...frameKey(1, 1), keyId: 256 })).toThrow(RangeError);
    expect(() => new FrameSealer({ ...frameKey(1, 1), key: new Uint8Array(16) })).toThrow(RangeError);
    expect(() => opener.setKey({ ...frameKey(1, 1), salt: new Uint8Array(12) })).toThrow(RangeError);
    const sealedAgain = sealer.seal(opusFrame(1))!;
    expect(() => sealer.seal(sealedAgain)).toThrow(RangeError);
    expect(() => sealer.seal(new Uint8Array(AUDIO_FRAME_HEADER_BYTES))).toThrow(RangeError);
  });
});
