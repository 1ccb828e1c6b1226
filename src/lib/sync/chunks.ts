/**
 * Cutting reliable-channel messages into pieces and joining them again (wire format in
 * protocol/sync-wire.ts). Pieces of one message arrive in order on the ordered channel, so one
 * assembly per link is enough; a piece that does not continue it, or a message that would exceed
 * the size limit, is refused and the assembly is dropped, so a hostile peer cannot make us buffer
 * more than `maxBytes`.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { SYNC_CHUNK_BYTES, SYNC_MAX_MESSAGE_BYTES, SyncTag } from '../protocol/sync-wire';

/** The messages to send for `bytes`: itself when small, else its pieces. */
export function splitMessage(bytes: Uint8Array, id: number, chunkBytes = SYNC_CHUNK_BYTES): Uint8Array[] {
  if (bytes.length <= chunkBytes) return [bytes];
  const count = Math.ceil(bytes.length / chunkBytes);
  const pieces: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, SyncTag.Chunk);
    encoding.writeVarUint(encoder, id);
    encoding.writeVarUint(encoder, index);
    encoding.writeVarUint(encoder, count);
    encoding.writeVarUint8Array(encoder, bytes.subarray(index * chunkBytes, (index + 1) * chunkBytes));
    pieces.push(encoding.toUint8Array(encoder));
  }
  return pieces;
}

export type ChunkResult =
  | { kind: 'pending' }
  | { kind: 'done'; bytes: Uint8Array }
  | { kind: 'refused'; reason: 'too-large' | 'out-of-order' | 'malformed' };

export class ChunkAssembler {
  readonly #maxBytes: number;
  #current: { id: number; count: number; next: number; parts: Uint8Array[]; size: number } | null = null;
  /** Pieces of a refused message still arriving are skipped quietly. */
  #skipping: number | null = null;

  constructor(maxBytes = SYNC_MAX_MESSAGE_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** Feeds one piece (the decoder is positioned after the Chunk tag). */
  push(decoder: decoding.Decoder): ChunkResult {
    let id: number, index: number, count: number, part: Uint8Array;
    try {
      id = decoding.readVarUint(decoder);
      index = decoding.readVarUint(decoder);
      count = decoding.readVarUint(decoder);
      part = decoding.readVarUint8Array(decoder);
    } catch {
      this.#current = null;
      return { kind: 'refused', reason: 'malformed' };
    }
    if (index === 0) this.#skipping = null;
    if (this.#skipping === id) return { kind: 'pending' };
    if (index === 0) {
      // A message of one piece is never cut: that is not a sender of ours.
      if (count < 2) return this.#refuse(id, 'malformed');
      if (count * SYNC_CHUNK_BYTES > this.#maxBytes + SYNC_CHUNK_BYTES) return this.#refuse(id, 'too-large');
      this.#current = { id, count, next: 0, parts: [], size: 0 };
    }
    const current = this.#current;
    if (!current || current.id !== id || current.next !== index || current.count !== count) {
      return this.#refuse(id, 'out-of-order');
    }
    current.size += part.length;
    if (current.size > this.#maxBytes || part.length > SYNC_CHUNK_BYTES) return this.#refuse(id, 'too-large');
    current.parts.push(part);
    current.next += 1;
    if (current.next < current.count) return { kind: 'pending' };
    this.#current = null;
    const bytes = new Uint8Array(current.size);
    let offset = 0;
    for (const p of current.parts) {
      bytes.set(p, offset);
      offset += p.length;
    }
    return { kind: 'done', bytes };
  }

  #refuse(id: number, reason: 'too-large' | 'out-of-order' | 'malformed'): ChunkResult {
    this.#current = null;
    this.#skipping = id;
    return { kind: 'refused', reason };
  }
}
