/**
 * Checks on what reaches the recorder Worker: requests from the page, blocks from the record tap,
 * chunks from the network Worker. Messages cross a thread boundary untyped, so each is checked
 * before it touches a file; a bad request gets a RequestError, a bad block or chunk is dropped.
 */
import {
  BACKING_TRACK,
  MIX_TRACK,
  SELF_TRACK,
  isTrackId,
  type ClockAnchor,
  type SourcePcm,
  type TakeStart,
  type TapBlock,
  type TrackInfo,
} from '../protocol/recording';
import { cleanTakeName, isTakeId } from './take-store';

/** Largest tap block or net chunk accepted, frames (far above any real one). */
export const MAX_BLOCK_FRAMES = 1 << 16;

/** A human-readable error for a request (the client rejects that request's promise with it). */
export class RequestError extends Error {}

export function isAnchor(clock: unknown): clock is ClockAnchor {
  if (typeof clock !== 'object' || clock === null) return false;
  const c = clock as Record<string, unknown>;
  return (
    typeof c.contextFrame === 'number' &&
    Number.isFinite(c.contextFrame) &&
    typeof c.epochMs === 'number' &&
    Number.isFinite(c.epochMs)
  );
}

const isShortText = (value: unknown, max = 200): value is string =>
  typeof value === 'string' && value.length <= max;

/** A clean copy of a `start` request's take, or a RequestError saying what is missing. */
export function checkTakeStart(take: TakeStart): TakeStart {
  if (typeof take !== 'object' || take === null || !isTakeId(take.id))
    throw new RequestError('The recorder needs a take id of letters, digits, _ or -.');
  const { studio, recordedBy } = take;
  if (
    typeof studio !== 'object' ||
    studio === null ||
    !isShortText(studio.id) ||
    !isShortText(studio.slug) ||
    !isShortText(studio.name) ||
    typeof recordedBy !== 'object' ||
    recordedBy === null ||
    !isShortText(recordedBy.userId) ||
    !isShortText(recordedBy.name)
  )
    throw new RequestError('The recorder needs the studio and the recording player.');
  return {
    id: take.id,
    name: cleanTakeName(take.name),
    studio: { id: studio.id, slug: studio.slug, name: studio.name },
    recordedBy: { userId: recordedBy.userId, name: recordedBy.name },
  };
}

/** A clean copy of a track declaration, or null when it is malformed. */
export function checkTrackInfo(info: TrackInfo): TrackInfo | null {
  if (typeof info !== 'object' || info === null || typeof info.id !== 'string' || !isTrackId(info.id))
    return null;
  const kindOk =
    (info.kind === 'mix' && info.id === MIX_TRACK) ||
    (info.kind === 'self' && info.id === SELF_TRACK) ||
    (info.kind === 'backing' && info.id === BACKING_TRACK && info.userId === null) ||
    (info.kind === 'remote' && info.id.startsWith('u-'));
  if (!kindOk || (info.channels !== 1 && info.channels !== 2)) return null;
  if (
    !(info.userId === null || isShortText(info.userId)) ||
    !isShortText(info.name) ||
    !isShortText(info.instrument)
  )
    return null;
  return {
    id: info.id,
    kind: info.kind,
    userId: info.userId,
    name: info.name,
    instrument: info.instrument,
    channels: info.channels,
  };
}

export function isTapBlock(block: TapBlock): boolean {
  const { contextFrame, frames, inputChannels, input, mix, backing } = block;
  return (
    Number.isSafeInteger(contextFrame) &&
    Number.isSafeInteger(frames) &&
    frames > 0 &&
    frames <= MAX_BLOCK_FRAMES &&
    (inputChannels === 1 || inputChannels === 2) &&
    input instanceof Float32Array &&
    mix instanceof Float32Array &&
    backing instanceof Float32Array &&
    input.length >= frames * inputChannels &&
    mix.length >= frames * 2 &&
    backing.length >= frames * 2
  );
}

export function isChunk(chunk: SourcePcm): boolean {
  return (
    typeof chunk === 'object' &&
    chunk !== null &&
    typeof chunk.sourceKey === 'string' &&
    (chunk.captureEpochMs === null || Number.isFinite(chunk.captureEpochMs)) &&
    Number.isFinite(chunk.arrivalEpochMs) &&
    Number.isInteger(chunk.senderTime) &&
    chunk.senderTime >= 0 &&
    chunk.senderTime <= 0xffff_ffff &&
    (chunk.uncertaintyMs === null || (Number.isFinite(chunk.uncertaintyMs) && chunk.uncertaintyMs >= 0)) &&
    Number.isSafeInteger(chunk.frames) &&
    chunk.frames > 0 &&
    chunk.frames <= MAX_BLOCK_FRAMES &&
    (chunk.channels === 1 || chunk.channels === 2) &&
    chunk.samples instanceof Float32Array &&
    chunk.samples.length >= chunk.frames * chunk.channels
  );
}
