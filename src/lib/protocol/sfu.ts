/**
 * The relay's SFU (selective forwarding unit) wire, version {@link SFU_VERSION}: how audio frames
 * travel player → relay → players in a room that uses the relay (ADR 0009, docs/protocol.md).
 *
 * Each player holds one RTCPeerConnection to the relay, negotiated over the signaling socket
 * (`sfu-signal`, the player offers), with one pre-negotiated data channel ({@link SFU_CHANNEL},
 * unordered, no retransmits). On it:
 *
 * - **player → relay**: one sealed audio frame per message (`sealed-frame.ts`: the audio frame header
 *   in clear with version {@link SEALED_FRAME_VERSION}, then the payload encrypted by the sender), or a
 *   link ping (`link-ping.ts`), which the relay answers with a pong. Anything else is dropped and
 *   counted, and so is a frame longer than {@link SFU_MAX_UPSTREAM_BYTES}.
 * - **relay → player**: bundles. One bundle carries the frames the relay has for that receiver,
 *   each stamped with its *source index* (assigned by the relay, never said by the sender):
 *
 *   | bytes | field                                                            |
 *   | ----- | ---------------------------------------------------------------- |
 *   | 1     | kind = {@link SFU_BUNDLE_KIND}                                   |
 *   | 1     | count: frames in the bundle, 1…255                               |
 *   | count × (2 + 2 + n) | u16 LE source index, u16 LE length n, the frame's n bytes |
 *
 *   A bundle is at most {@link SFU_BUNDLE_MAX_BYTES} (one SCTP packet on a 1,200-byte path MTU).
 *   Pongs to a player's pings are sent alone, as link pings.
 *
 * Which peer a source index stands for, and whether the room uses the mesh or the SFU, come in the
 * signaling message `room-route` (signaling.ts). Parsing never throws.
 */
import { isPeerId } from './attested.js';
import type { PeerSignal } from './mesh-signal.js';

export const SFU_VERSION = 1;

/** The one data channel on a player's connection to the relay (pre-negotiated on both sides). */
export const SFU_CHANNEL = { label: 'bandmesh-sfu', id: 0 } as const;

export const SFU_BUNDLE_KIND = 0x91;
export const SFU_BUNDLE_HEADER_BYTES = 2;
export const SFU_BUNDLE_ENTRY_HEADER_BYTES = 4;
/** Largest bundle the relay sends: one SCTP packet. */
export const SFU_BUNDLE_MAX_BYTES = 1100;
/** Largest upstream frame the relay forwards: it must fit a bundle alone. */
export const SFU_MAX_UPSTREAM_BYTES =
  SFU_BUNDLE_MAX_BYTES - SFU_BUNDLE_HEADER_BYTES - SFU_BUNDLE_ENTRY_HEADER_BYTES;
export const SFU_MAX_FRAMES_PER_BUNDLE = 255;
/** Source indexes are u16. */
export const SFU_MAX_SOURCE_INDEX = 0xffff;

/**
 * First byte of a sealed (end-to-end encrypted) audio frame. Bytes 1…15 are the audio frame header
 * of `audio-frame.ts` unchanged (in clear, authenticated); the relay reads only `seq` (u32 LE at
 * byte 4) to drop replays.
 */
export const SEALED_FRAME_VERSION = 3;
/** Byte offset of the u32 LE sequence number in a (sealed) audio frame. */
export const FRAME_SEQ_OFFSET = 4;

export interface BundleEntry {
  sourceIndex: number;
  /** The frame as its sender sent it (a view into the bundle). */
  frame: Uint8Array;
}

export type ReadBundleResult = { ok: true; entries: BundleEntry[] } | { ok: false; reason: string };

/** Splits a bundle into its frames (views, no copies); any inconsistency rejects the whole bundle. */
export function readBundle(bytes: Uint8Array): ReadBundleResult {
  if (bytes.length < SFU_BUNDLE_HEADER_BYTES || bytes[0] !== SFU_BUNDLE_KIND) {
    return { ok: false, reason: 'not-a-bundle' };
  }
  if (bytes.length > SFU_BUNDLE_MAX_BYTES) return { ok: false, reason: 'too-large' };
  const count = bytes[1]!;
  if (count === 0) return { ok: false, reason: 'empty' };
  const entries: BundleEntry[] = [];
  let at = SFU_BUNDLE_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (at + SFU_BUNDLE_ENTRY_HEADER_BYTES > bytes.length) return { ok: false, reason: 'truncated' };
    const sourceIndex = bytes[at]! | (bytes[at + 1]! << 8);
    const length = bytes[at + 2]! | (bytes[at + 3]! << 8);
    at += SFU_BUNDLE_ENTRY_HEADER_BYTES;
    if (length === 0 || at + length > bytes.length) return { ok: false, reason: 'truncated' };
    entries.push({ sourceIndex, frame: bytes.subarray(at, at + length) });
    at += length;
  }
  if (at !== bytes.length) return { ok: false, reason: 'trailing-bytes' };
  return { ok: true, entries };
}

/**
 * Packs frames for one receiver into bundles of at most {@link SFU_BUNDLE_MAX_BYTES}, in order.
 * Frames longer than {@link SFU_MAX_UPSTREAM_BYTES} must have been dropped before.
 */
export class BundleWriter {
  readonly #buffer = new Uint8Array(SFU_BUNDLE_MAX_BYTES);
  #length = SFU_BUNDLE_HEADER_BYTES;
  #count = 0;

  /** Bytes the bundle would take with one more frame of `frameBytes`. */
  fits(frameBytes: number): boolean {
    return (
      this.#count < SFU_MAX_FRAMES_PER_BUNDLE &&
      this.#length + SFU_BUNDLE_ENTRY_HEADER_BYTES + frameBytes <= SFU_BUNDLE_MAX_BYTES
    );
  }

  get count(): number {
    return this.#count;
  }

  /** Adds a frame; the caller checked `fits` (or flushed) first. */
  add(sourceIndex: number, frame: Uint8Array): void {
    const b = this.#buffer;
    let at = this.#length;
    b[at] = sourceIndex & 0xff;
    b[at + 1] = (sourceIndex >>> 8) & 0xff;
    b[at + 2] = frame.length & 0xff;
    b[at + 3] = (frame.length >>> 8) & 0xff;
    at += SFU_BUNDLE_ENTRY_HEADER_BYTES;
    b.set(frame, at);
    this.#length = at + frame.length;
    this.#count++;
  }

  /** The bundle so far as a fresh copy (the writer is reset), or null when empty. */
  take(): Uint8Array | null {
    if (this.#count === 0) return null;
    this.#buffer[0] = SFU_BUNDLE_KIND;
    this.#buffer[1] = this.#count;
    const out = this.#buffer.slice(0, this.#length);
    this.#length = SFU_BUNDLE_HEADER_BYTES;
    this.#count = 0;
    return out;
  }
}

// ---- signaling messages of the SFU (JSON on the signaling socket; see signaling.ts) -------------

/** How a room's audio travels: every pair directly (`mesh`), or through the relay (`sfu`). */
export type RoomMode = 'mesh' | 'sfu';

export interface SfuSource {
  peerId: string;
  index: number;
}

/** Browser ↔ relay: one description or ICE candidate of the player's connection to the relay. */
export interface SfuSignalMessage {
  type: 'sfu-signal';
  topic: string;
  signal: PeerSignal;
}

/**
 * Browser → relay: this player cannot reach some (`unreachable: true`) of the others directly or
 * through TURN, so the room should use the SFU; `false` withdraws the request.
 */
export interface RouteRequestMessage {
  type: 'route-request';
  topic: string;
  unreachable: boolean;
}

/**
 * Relay → browser: the room's mode and the source index of every player in the room (sent after
 * `subscribed` and whenever either changes). While `mode` is `sfu`, every player sends its frames to
 * the relay and hears the others through it; while `mesh`, directly. Clients run both paths while
 * changing over (the Worker drops duplicates by sequence number).
 */
export interface RoomRouteMessage {
  type: 'room-route';
  topic: string;
  mode: RoomMode;
  sources: SfuSource[];
}

export function isRoomMode(value: unknown): value is RoomMode {
  return value === 'mesh' || value === 'sfu';
}

/** Validates `room-route`'s source list: distinct peers, distinct u16 indexes. */
export function parseSfuSources(value: unknown, max = 4096): SfuSource[] | null {
  if (!Array.isArray(value) || value.length > max) return null;
  const peers = new Set<string>();
  const indexes = new Set<number>();
  const sources: SfuSource[] = [];
  for (const entry of value) {
    if (typeof entry !== 'object' || entry === null) return null;
    const { peerId, index } = entry as Record<string, unknown>;
    if (!isPeerId(peerId) || !Number.isInteger(index)) return null;
    const i = index as number;
    if (i < 0 || i > SFU_MAX_SOURCE_INDEX || peers.has(peerId) || indexes.has(i)) return null;
    peers.add(peerId);
    indexes.add(i);
    sources.push({ peerId, index: i });
  }
  return sources;
}
