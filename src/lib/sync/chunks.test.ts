import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import { SYNC_CHUNK_BYTES, SyncTag } from '../protocol/sync-wire';
import { ChunkAssembler, splitMessage } from './chunks';

/** Feeds one wire message (tag included) to the assembler, as StudioSync does after reading the tag. */
function feed(assembler: ChunkAssembler, piece: Uint8Array) {
  const decoder = decoding.createDecoder(piece);
  expect(decoding.readVarUint(decoder)).toBe(SyncTag.Chunk);
  return assembler.push(decoder);
}

function piece(id: number, index: number, count: number, bytes: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, SyncTag.Chunk);
  encoding.writeVarUint(encoder, id);
  encoding.writeVarUint(encoder, index);
  encoding.writeVarUint(encoder, count);
  encoding.writeVarUint8Array(encoder, bytes);
  return encoding.toUint8Array(encoder);
}

const message = (size: number) => Uint8Array.from({ length: size }, (_, i) => i % 251);

describe('chunks', () => {
  it('sends a small message whole and joins a large one from its pieces', () => {
    const small = message(100);
    expect(splitMessage(small, 1)).toEqual([small]);
    const large = message(SYNC_CHUNK_BYTES * 3 + 5);
    const pieces = splitMessage(large, 2);
    expect(pieces).toHaveLength(4);
    const assembler = new ChunkAssembler();
    const results = pieces.map((p) => feed(assembler, p));
    expect(results.slice(0, 3).every((r) => r.kind === 'pending')).toBe(true);
    expect(results[3]).toEqual({ kind: 'done', bytes: large });
  });

  it('refuses a piece that does not continue the message, then skips the rest of it quietly', () => {
    const pieces = splitMessage(message(SYNC_CHUNK_BYTES * 3), 7);
    const assembler = new ChunkAssembler();
    expect(feed(assembler, pieces[0]!).kind).toBe('pending');
    expect(feed(assembler, pieces[2]!)).toEqual({ kind: 'refused', reason: 'out-of-order' });
    expect(feed(assembler, pieces[1]!).kind).toBe('pending'); // the same message: skipped, not refused again
    // The next message starts clean.
    const next = splitMessage(message(SYNC_CHUNK_BYTES + 1), 8);
    expect(feed(assembler, next[0]!).kind).toBe('pending');
    expect(feed(assembler, next[1]!).kind).toBe('done');
  });

  it('refuses a message announced larger than the limit before buffering it, and oversized pieces', () => {
    const assembler = new ChunkAssembler(SYNC_CHUNK_BYTES * 4);
    expect(feed(assembler, piece(1, 0, 100, new Uint8Array(16)))).toEqual({
      kind: 'refused',
      reason: 'too-large',
    });
    expect(feed(assembler, piece(2, 0, 2, new Uint8Array(SYNC_CHUNK_BYTES + 1)))).toEqual({
      kind: 'refused',
      reason: 'too-large',
    });
  });

  it('refuses a truncated piece, and a "message" of one piece, as malformed', () => {
    expect(feed(new ChunkAssembler(), piece(3, 0, 1, new Uint8Array(4)))).toEqual({
      kind: 'refused',
      reason: 'malformed',
    });
    const whole = piece(1, 0, 2, new Uint8Array(64));
    expect(feed(new ChunkAssembler(), whole.subarray(0, 10))).toEqual({
      kind: 'refused',
      reason: 'malformed',
    });
  });
});
