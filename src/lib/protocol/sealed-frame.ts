/**
 * Sealed audio frames: the end-to-end encryption of frames the relay's SFU forwards (ADR 0010,
 * docs/protocol.md "End-to-end encryption"). Synchronous (noble), so the audio Worker can seal and
 * open on its hot path; WebCrypto is async only.
 *
 * A sealed frame is an audio frame of `audio-frame.ts` with byte 0 = {@link SEALED_FRAME_VERSION}:
 *
 * | bytes    | field                                                                    |
 * | -------- | ------------------------------------------------------------------------ |
 * | 0        | version = 3                                                              |
 * | 1…15     | the audio frame header, bytes 1…15, unchanged (in clear: the relay reads seq) |
 * | 16       | keyId u8: which of the sender's keys sealed it                           |
 * | 17…20    | counter u32 LE: the sealer's own frame counter under that key            |
 * | 21…      | ChaCha20-Poly1305 ciphertext of the original payload (with any redundant copy) |
 * | last 16  | Poly1305 tag                                                             |
 *
 * The AAD is the whole clear prefix (bytes 0…20): the header as sealed, keyId and counter, so every
 * byte the relay can read is authenticated directly. The 12-byte nonce is
 * `salt (4 B, random per key) ‖ counter u32 LE ‖ 0 0 0 0`. It never repeats under one key because
 * each key has exactly one sealer, whose counter only goes up and which refuses to go past 2^32 − 1
 * (`seal` returns null: the owner must make a new key). The frame's seq cannot serve: it restarts
 * with the sender's stream. A key must therefore never back two sealers (a restarted Worker gets a
 * *new* key, not the current one again); the salt is a second line against such a mistake.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { AUDIO_FRAME_HEADER_BYTES, AUDIO_FRAME_MAX_BYTES, AUDIO_FRAME_VERSION } from './audio-frame.js';
import { SEALED_FRAME_VERSION } from './sfu.js';

export { SEALED_FRAME_VERSION };

export const SEALED_KEY_BYTES = 32;
export const SEALED_SALT_BYTES = 4;
export const SEALED_TAG_BYTES = 16;
/** Offset of keyId; the counter follows it. */
export const SEALED_KEY_ID_OFFSET = AUDIO_FRAME_HEADER_BYTES;
export const SEALED_COUNTER_OFFSET = SEALED_KEY_ID_OFFSET + 1;
/** Bytes in clear (and authenticated) before the ciphertext. */
export const SEALED_PREFIX_BYTES = SEALED_COUNTER_OFFSET + 4;
/** What sealing adds to an audio frame: keyId, counter and tag. */
export const SEALED_OVERHEAD_BYTES = SEALED_PREFIX_BYTES - AUDIO_FRAME_HEADER_BYTES + SEALED_TAG_BYTES;
/** Shortest sealed frame: a one-byte payload. */
export const SEALED_MIN_BYTES = SEALED_PREFIX_BYTES + 1 + SEALED_TAG_BYTES;
export const SEALED_MAX_BYTES = AUDIO_FRAME_MAX_BYTES + SEALED_OVERHEAD_BYTES;
/** Last counter value a sealer uses under one key. */
export const SEALED_MAX_COUNTER = 0xffff_ffff;

export type OpenFailure = 'unknown-key' | 'tampered' | 'malformed';
export type OpenResult = { ok: true; frame: Uint8Array } | { ok: false; reason: OpenFailure };

/** One sender key as it travels from the key agreement to a sealer or opener. */
export interface FrameKey {
  /** u8 */
  keyId: number;
  /** 32 bytes */
  key: Uint8Array;
  /** 4 bytes */
  salt: Uint8Array;
}

function checkKey({ keyId, key, salt }: FrameKey): void {
  if (!Number.isInteger(keyId) || keyId < 0 || keyId > 0xff) throw new RangeError('keyId must be a u8');
  if (!(key instanceof Uint8Array) || key.length !== SEALED_KEY_BYTES) {
    throw new RangeError(`key must be ${SEALED_KEY_BYTES} bytes`);
  }
  if (!(salt instanceof Uint8Array) || salt.length !== SEALED_SALT_BYTES) {
    throw new RangeError(`salt must be ${SEALED_SALT_BYTES} bytes`);
  }
}

function writeNonce(nonce: Uint8Array, counter: number): void {
  nonce[4] = counter & 0xff;
  nonce[5] = (counter >>> 8) & 0xff;
  nonce[6] = (counter >>> 16) & 0xff;
  nonce[7] = (counter >>> 24) & 0xff;
}

/** A nonce buffer for a key: salt ‖ counter ‖ zeros; only the counter bytes change per frame. */
function nonceFor(salt: Uint8Array): Uint8Array {
  const nonce = new Uint8Array(12);
  nonce.set(salt, 0);
  return nonce;
}

/**
 * Seals our frames under one sender key. One sealer per key, ever (see the module comment).
 * Allocation per frame: the output and noble's per-call cipher state; nonce and key are reused.
 */
export class FrameSealer {
  readonly keyId: number;
  readonly #key: Uint8Array;
  readonly #nonce: Uint8Array;
  readonly #limit: number;
  #counter = 0;

  /**
   * `limit`: frames to seal under this key before refusing, at most (and by default) 2^32 — the
   * owner may want a new key sooner.
   */
  constructor(frameKey: FrameKey, { limit = SEALED_MAX_COUNTER + 1 }: { limit?: number } = {}) {
    checkKey(frameKey);
    if (!Number.isInteger(limit) || limit < 1 || limit > SEALED_MAX_COUNTER + 1) {
      throw new RangeError('limit must be 1…2^32 frames');
    }
    this.#limit = limit;
    this.keyId = frameKey.keyId;
    // Our own copies: a caller that reuses or wipes its buffers must not change what we seal with.
    this.#key = frameKey.key.slice();
    this.#nonce = nonceFor(frameKey.salt);
  }

  /** Frames this sealer can still seal before its key must be replaced. */
  get remaining(): number {
    return this.#limit - this.#counter;
  }

  get exhausted(): boolean {
    return this.#counter >= this.#limit;
  }

  /** Bytes `seal` returns for a frame of `frameBytes`. */
  static sealedBytes(frameBytes: number): number {
    return frameBytes + SEALED_OVERHEAD_BYTES;
  }

  /**
   * Seals a version-2 audio frame into a new array. Returns null once the key is exhausted (2^32
   * frames by default: 124 days at 2.5 ms). Throws on something that is not a v2 frame (a caller bug).
   */
  seal(frame: Uint8Array): Uint8Array | null {
    if (this.exhausted) return null;
    const out = new Uint8Array(FrameSealer.sealedBytes(frame.length));
    this.sealInto(frame, out);
    return out;
  }

  /**
   * Seals into `out`, which must be exactly `sealedBytes(frame.length)` long. Returns false (and
   * writes nothing) once the key is exhausted.
   */
  sealInto(frame: Uint8Array, out: Uint8Array): boolean {
    if (this.exhausted) return false;
    if (
      !(frame instanceof Uint8Array) ||
      frame.length <= AUDIO_FRAME_HEADER_BYTES ||
      frame.length > AUDIO_FRAME_MAX_BYTES ||
      frame[0] !== AUDIO_FRAME_VERSION
    ) {
      throw new RangeError('seal needs a version-2 audio frame with a payload');
    }
    if (out.length !== FrameSealer.sealedBytes(frame.length)) {
      throw new RangeError('sealInto: output has the wrong length');
    }
    const counter = this.#counter++;
    out[0] = SEALED_FRAME_VERSION;
    out.set(frame.subarray(1, AUDIO_FRAME_HEADER_BYTES), 1);
    out[SEALED_KEY_ID_OFFSET] = this.keyId;
    out[SEALED_COUNTER_OFFSET] = counter & 0xff;
    out[SEALED_COUNTER_OFFSET + 1] = (counter >>> 8) & 0xff;
    out[SEALED_COUNTER_OFFSET + 2] = (counter >>> 16) & 0xff;
    out[SEALED_COUNTER_OFFSET + 3] = (counter >>> 24) & 0xff;
    writeNonce(this.#nonce, counter);
    chacha20poly1305(this.#key, this.#nonce, out.subarray(0, SEALED_PREFIX_BYTES)).encrypt(
      frame.subarray(AUDIO_FRAME_HEADER_BYTES),
      out.subarray(SEALED_PREFIX_BYTES),
    );
    return true;
  }
}

interface OpenerKey {
  keyId: number;
  key: Uint8Array;
  nonce: Uint8Array;
}

/**
 * Opens one sender's sealed frames. Holds that sender's newest two keys (the current one and the
 * one before, so frames sealed just before a rotation still open). Never throws on frame input.
 */
export class FrameOpener {
  /** Newest last; at most two. */
  #keys: OpenerKey[] = [];

  /** Adds a key of this sender; the oldest beyond two is forgotten. A keyId seen again replaces. */
  setKey(frameKey: FrameKey): void {
    checkKey(frameKey);
    const entry = { keyId: frameKey.keyId, key: frameKey.key.slice(), nonce: nonceFor(frameKey.salt) };
    this.#keys = [...this.#keys.filter((k) => k.keyId !== frameKey.keyId), entry].slice(-2);
  }

  /** The keyIds held, oldest first. */
  get keyIds(): number[] {
    return this.#keys.map((k) => k.keyId);
  }

  /** Forgets every key (the sender left). */
  clear(): void {
    this.#keys = [];
  }

  /** Opens a sealed frame into a new version-2 audio frame. */
  open(sealed: Uint8Array): OpenResult {
    if (
      !(sealed instanceof Uint8Array) ||
      sealed.length < SEALED_MIN_BYTES ||
      sealed.length > SEALED_MAX_BYTES
    ) {
      return { ok: false, reason: 'malformed' };
    }
    const out = new Uint8Array(sealed.length - SEALED_OVERHEAD_BYTES);
    const reason = this.openInto(sealed, out);
    return reason === null ? { ok: true, frame: out } : { ok: false, reason };
  }

  /**
   * Opens into `out` (exactly `sealed.length − SEALED_OVERHEAD_BYTES` long). Returns null on
   * success, else why it failed (then `out` holds nothing useful).
   */
  openInto(sealed: Uint8Array, out: Uint8Array): OpenFailure | null {
    if (
      !(sealed instanceof Uint8Array) ||
      sealed.length < SEALED_MIN_BYTES ||
      sealed.length > SEALED_MAX_BYTES ||
      sealed[0] !== SEALED_FRAME_VERSION ||
      !(out instanceof Uint8Array) ||
      out.length !== sealed.length - SEALED_OVERHEAD_BYTES
    ) {
      return 'malformed';
    }
    const keyId = sealed[SEALED_KEY_ID_OFFSET]!;
    let entry: OpenerKey | undefined;
    for (const k of this.#keys) if (k.keyId === keyId) entry = k;
    if (!entry) return 'unknown-key';
    const counter =
      (sealed[SEALED_COUNTER_OFFSET]! |
        (sealed[SEALED_COUNTER_OFFSET + 1]! << 8) |
        (sealed[SEALED_COUNTER_OFFSET + 2]! << 16) |
        (sealed[SEALED_COUNTER_OFFSET + 3]! << 24)) >>>
      0;
    writeNonce(entry.nonce, counter);
    try {
      chacha20poly1305(entry.key, entry.nonce, sealed.subarray(0, SEALED_PREFIX_BYTES)).decrypt(
        sealed.subarray(SEALED_PREFIX_BYTES),
        out.subarray(AUDIO_FRAME_HEADER_BYTES),
      );
    } catch {
      return 'tampered';
    }
    out[0] = AUDIO_FRAME_VERSION;
    out.set(sealed.subarray(1, AUDIO_FRAME_HEADER_BYTES), 1);
    return null;
  }
}
