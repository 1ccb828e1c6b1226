/**
 * The keys SFU frames are sealed with (`sealed-frame.ts`): ours, one sealer at a time (replaced on
 * rotation), and per source an opener holding the newest two keys it announced, so frames sealed just
 * before a rotation still open. Keys come from the session (key agreement between attested peers); the
 * Worker never makes or sends one. A source's keys outlive the source (the session may send them
 * before adding it); they are dropped when the source is removed (a departed player's keys have no
 * frames left to open, and a Worker in a long session should not collect them).
 *
 * A key must never back two sealers (each sealer's counter starts at 0, so the nonces would repeat):
 * a send key this Worker already sealed with is refused, even if the session sends it again.
 */
import { FrameOpener, FrameSealer, type FrameKey, type OpenResult } from '../../protocol/sealed-frame';

export class SfuKeys {
  #sealer: FrameSealer | null = null;
  /** Every send key sealed with so far (hex of key and salt). */
  readonly #used = new Set<string>();
  readonly #openers = new Map<string, FrameOpener>();

  /** Our sealer, or null before the first key or once the current key is exhausted. */
  get sealer(): FrameSealer | null {
    return this.#sealer && !this.#sealer.exhausted ? this.#sealer : null;
  }

  /** Starts sealing with `key`; an error text when it is malformed or was used before (kept: the old one). */
  setSend(key: FrameKey): string | null {
    const id = fingerprint(key);
    if (id !== null && this.#used.has(id)) return 'send key used before: a sealer needs a fresh key';
    try {
      this.#sealer = new FrameSealer(key);
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    this.#used.add(id!);
    return null;
  }

  /** Adds a source's key (the opener keeps the newest two); an error text when it is malformed. */
  setSource(sourceKey: string, key: FrameKey): string | null {
    const opener = this.#openers.get(sourceKey) ?? new FrameOpener();
    try {
      opener.setKey(key);
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    this.#openers.set(sourceKey, opener);
    return null;
  }

  /** Forgets a source's keys (the source left). */
  removeSource(sourceKey: string): void {
    this.#openers.get(sourceKey)?.clear();
    this.#openers.delete(sourceKey);
  }

  /** Opens a frame `sourceKey` sealed; `unknown-key` when we hold none of its keys. */
  open(sourceKey: string, sealed: Uint8Array): OpenResult {
    const opener = this.#openers.get(sourceKey);
    return opener ? opener.open(sealed) : { ok: false, reason: 'unknown-key' };
  }

  clear(): void {
    this.#sealer = null;
    for (const opener of this.#openers.values()) opener.clear();
    this.#openers.clear();
  }
}

function fingerprint(key: FrameKey): string | null {
  if (!(key?.key instanceof Uint8Array) || !(key.salt instanceof Uint8Array)) return null;
  let hex = '';
  for (const b of key.key) hex += b.toString(16).padStart(2, '0');
  hex += ':';
  for (const b of key.salt) hex += b.toString(16).padStart(2, '0');
  return hex;
}
