/**
 * What the recorder holds for the take it is writing: opening its files (all or nothing), the take's
 * state, and the manifest that describes it. The manifest lists only tracks whose file has a start
 * sample: recovery places a file only through it.
 */
import {
  BACKING_TRACK,
  MIX_TRACK,
  RECORDING_SAMPLE_RATE,
  RECORDING_VERSION,
  SELF_TRACK,
  TRACK_FILE_SUFFIX,
  type ClockAnchor,
  type TakeManifest,
  type TakeStart,
  type TakeTrack,
  type TrackId,
} from '../protocol/recording';
import { describeError, isQuotaError, type OpfsDirectoryHandle, type OpfsSyncHandle } from './opfs';
import type { Track } from './recorder-tracks';
import { RequestError } from './recorder-validation';
import { ManifestWriter, durationOf, type TakeStore } from './take-store';

/** The parts of a MessagePort the recorder uses. */
export type Port = Pick<MessagePort, 'postMessage' | 'close'> & {
  onmessage: ((event: MessageEvent) => void) | null;
};

export interface Take {
  id: string;
  name: string;
  start: TakeStart;
  dir: OpfsDirectoryHandle;
  writer: ManifestWriter;
  release: () => void;
  tapPort: Port;
  netPort: Port | null;
  anchor: ClockAnchor;
  /**
   * Handles of mix, self and backing, opened at start; their TrackFiles are made at the first block
   * (the backing file gets its first frame only when the track sounds; unused, it is removed at the end).
   */
  tapHandles: { mix: OpfsSyncHandle; self: OpfsSyncHandle; backing: OpfsSyncHandle } | null;
  startContextFrame: number | null;
  startEpochMs: number;
  tracks: Map<TrackId, Track>;
  /** Take sample the next tap block should start at (a later one leaves a gap: dropped blocks). */
  nextTapSample: number | null;
  timers: Array<ReturnType<typeof setInterval>>;
  startTimer: ReturnType<typeof setTimeout> | null;
}

/** A new take's directory, manifest writer and tap track handles, with the take's lock held. */
export interface TakeFiles {
  dir: OpfsDirectoryHandle;
  writer: ManifestWriter;
  release: () => void;
  mix: OpfsSyncHandle;
  self: OpfsSyncHandle;
  backing: OpfsSyncHandle;
  /** Undoes the opening: handles closed, the lock released, the directory removed. */
  discard: () => Promise<void>;
}

/**
 * Creates take `id`'s directory, manifest writer and the mix, self and backing track files, holding its
 * lock. A failure undoes what was opened and becomes a RequestError saying why.
 */
export async function openTakeFiles(store: TakeStore, id: string): Promise<TakeFiles> {
  const takes = await store.takesDirectory();
  if (
    await takes.getDirectoryHandle(id).then(
      () => true,
      () => false,
    )
  )
    throw new RequestError('A take with this id already exists.');
  const release = await store.hold(id);
  if (!release) throw new RequestError('This take is already being recorded in another tab.');

  const opened: Array<{ close(): void }> = [];
  let created = false;
  const discard = async () => {
    for (const handle of opened) closeQuietly(handle);
    release();
    if (created) await takes.removeEntry(id, { recursive: true }).catch(() => {});
  };
  try {
    const dir = await takes.getDirectoryHandle(id, { create: true });
    created = true;
    const writer = await ManifestWriter.open(dir);
    opened.push(writer);
    const openTrack = async (track: TrackId) => {
      const file = await dir.getFileHandle(`${track}${TRACK_FILE_SUFFIX}`, { create: true });
      if (typeof file.createSyncAccessHandle !== 'function')
        throw new RequestError(
          'This browser cannot write recordings from a Worker (no createSyncAccessHandle).',
        );
      const handle = await file.createSyncAccessHandle();
      opened.push(handle);
      return handle;
    };
    const mix = await openTrack(MIX_TRACK);
    const self = await openTrack(SELF_TRACK);
    const backing = await openTrack(BACKING_TRACK);
    return { dir, writer, release, mix, self, backing, discard };
  } catch (error) {
    await discard();
    if (error instanceof RequestError) throw error;
    if (isQuotaError(error)) throw new RequestError('Storage is full: the take could not start.');
    throw new RequestError(`The take could not start: ${describeError(error)}`);
  }
}

export function takeManifest(
  take: Take,
  state: TakeManifest['state'],
  stopReason?: TakeManifest['stopReason'],
  stopMessage?: string,
): TakeManifest {
  const tracks: TakeTrack[] = [...take.tracks.values()]
    .filter((t) => t.file !== null && t.file.startSample !== null)
    .sort((a, b) => a.order - b.order)
    .map((t) => ({
      id: t.info.id,
      kind: t.info.kind,
      userId: t.info.userId,
      name: t.info.name,
      instrument: t.info.instrument,
      channels: t.file!.channels,
      file: `${t.info.id}${TRACK_FILE_SUFFIX}`,
      startSample: t.file!.startSample!,
      frames: t.file!.frames,
      concealed: t.concealed.map(([a, b]): [number, number] => [a, b]),
      aligned: t.aligned,
      clockUncertaintyMs: t.uncertaintyMs,
    }));
  return {
    version: RECORDING_VERSION,
    id: take.id,
    name: take.name,
    studio: { ...take.start.studio },
    recordedBy: { ...take.start.recordedBy },
    startedAt: new Date(take.startEpochMs).toISOString(),
    startEpochMs: take.startEpochMs,
    startContextFrame: take.startContextFrame ?? 0,
    sampleRate: RECORDING_SAMPLE_RATE,
    state,
    durationFrames: durationOf(tracks),
    tracks,
    ...(stopReason ? { stopReason } : {}),
    ...(stopMessage !== undefined ? { stopMessage } : {}),
  };
}

/** Runs a step whose failure must not stop the ones after it; false when it threw. */
export function attempt(step: () => void): boolean {
  try {
    step();
    return true;
  } catch {
    return false;
  }
}

export function closeQuietly(handle: { close(): void }): void {
  attempt(() => handle.close());
}
