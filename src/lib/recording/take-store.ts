/**
 * The takes in the Origin Private File System, `bandmesh-takes/<id>/` (layout in protocol/recording.ts):
 * list, read and write manifests, rename, delete, and recover a take its recorder never finished.
 *
 * The manifest is kept in two copies, `take.json` and `take.1.json`, written in turn, each with a
 * sequence number; a reader takes the newest copy that parses. A crash while one copy is being rewritten
 * leaves the other whole (at most one flush older). We chose this over write-to-temp-then-`move()`:
 * move() exists in Chromium's OPFS, but whether it replaces the target atomically is not specified, and
 * the sync access handles the recorder already holds make the alternating rewrite fully synchronous.
 *
 * Which take is unfinished: one whose manifest still says `recording` while no recorder holds its Web
 * Lock (`bandmesh-take-<id>`, held by the recording Worker for the life of the take and released by the
 * browser when the tab dies). Without Web Locks every `recording` take not held by this recorder counts
 * as unfinished.
 */
import {
  MANIFEST_ALT_FILE,
  MANIFEST_FILE,
  RECORDING_SAMPLE_RATE,
  RECORDING_VERSION,
  TAKES_DIRECTORY,
  TRACK_FILE_SUFFIX,
  isTrackId,
  type TakeManifest,
  type TakeSummary,
  type TakeTrack,
} from '../protocol/recording';
import {
  ShortWriteError,
  isNotFoundError,
  type LocksLike,
  type OpfsDirectoryHandle,
  type OpfsFileHandle,
  type OpfsSyncHandle,
} from './opfs';
import { EXPORTS_DIRECTORY } from './export-messages';

const MANIFEST_COPIES = [MANIFEST_FILE, MANIFEST_ALT_FILE] as const;
const MAX_NAME_LENGTH = 200;

/** Take ids name directories: a safe, short alphabet only. */
export function isTakeId(id: unknown): id is string {
  return typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id);
}

export function takeLockName(id: string): string {
  return `bandmesh-take-${id}`;
}

/** A take's name as typed by a person: trimmed, bounded, never empty. */
export function cleanTakeName(name: unknown): string {
  if (typeof name !== 'string') throw new TypeError('A take name must be text.');
  const clean = name.replace(/\p{Cc}/gu, ' ').trim();
  if (clean.length === 0) throw new RangeError('A take name cannot be empty.');
  if (clean.length > MAX_NAME_LENGTH)
    throw new RangeError(`A take name has at most ${MAX_NAME_LENGTH} characters.`);
  return clean;
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isText = (value: unknown): value is string => typeof value === 'string';

function isTrack(value: unknown): value is TakeTrack {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Record<string, unknown>;
  return (
    isText(t.id) &&
    isTrackId(t.id) &&
    t.file === `${t.id}${TRACK_FILE_SUFFIX}` &&
    (t.kind === 'mix' || t.kind === 'self' || t.kind === 'remote' || t.kind === 'backing') &&
    (t.userId === null || isText(t.userId)) &&
    isText(t.name) &&
    isText(t.instrument) &&
    (t.channels === 1 || t.channels === 2) &&
    isCount(t.startSample) &&
    isCount(t.frames) &&
    Array.isArray(t.concealed) &&
    t.concealed.every(
      (r: unknown) => Array.isArray(r) && r.length === 2 && isCount(r[0]) && isCount(r[1]) && r[0] <= r[1],
    ) &&
    typeof t.aligned === 'boolean' &&
    (t.clockUncertaintyMs === null || (typeof t.clockUncertaintyMs === 'number' && t.clockUncertaintyMs >= 0))
  );
}

/** A manifest from its JSON text, or null when the text is torn, foreign or malformed. */
export function parseManifest(text: string): TakeManifest | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const m = value as Record<string, unknown>;
  // The writer puts the sequence first and last (JSON.parse keeps the last): a copy whose start and
  // end come from different writes (torn by a power cut) has two different numbers.
  const first = /^\{"sequence":(\d+),/.exec(text);
  if (first && Number(first[1]) !== m.sequence) return null;
  const studio = m.studio as Record<string, unknown> | null | undefined;
  const by = m.recordedBy as Record<string, unknown> | null | undefined;
  const ok =
    m.version === RECORDING_VERSION &&
    isTakeId(m.id) &&
    isText(m.name) &&
    typeof studio === 'object' &&
    studio !== null &&
    isText(studio.id) &&
    isText(studio.slug) &&
    isText(studio.name) &&
    typeof by === 'object' &&
    by !== null &&
    isText(by.userId) &&
    isText(by.name) &&
    isText(m.startedAt) &&
    typeof m.startEpochMs === 'number' &&
    Number.isFinite(m.startEpochMs) &&
    typeof m.startContextFrame === 'number' &&
    Number.isFinite(m.startContextFrame) &&
    m.sampleRate === RECORDING_SAMPLE_RATE &&
    (m.state === 'recording' || m.state === 'complete' || m.state === 'recovered') &&
    isCount(m.durationFrames) &&
    Array.isArray(m.tracks) &&
    m.tracks.every(isTrack) &&
    (m.sequence === undefined || isCount(m.sequence));
  return ok ? (value as TakeManifest) : null;
}

async function readText(dir: OpfsDirectoryHandle, name: string): Promise<string | null> {
  try {
    const file = await (await dir.getFileHandle(name)).getFile();
    return await file.text();
  } catch {
    // Missing, or held by a live recorder's sync handle (another tab): the other copy may do.
    return null;
  }
}

/** The newest whole copy of a take's manifest; throws when neither copy can be read. */
export async function readManifest(dir: OpfsDirectoryHandle): Promise<TakeManifest> {
  let best: TakeManifest | null = null;
  for (const name of MANIFEST_COPIES) {
    const text = await readText(dir, name);
    const manifest = text === null ? null : parseManifest(text);
    if (manifest && (best === null || (manifest.sequence ?? 0) > (best.sequence ?? 0))) best = manifest;
  }
  if (!best) throw new Error(`The take "${dir.name}" has no readable manifest.`);
  return best;
}

const encoder = new TextEncoder();
/** Space each manifest copy keeps (padded with JSON whitespace), so rewriting it needs no new space. */
export const MANIFEST_RESERVE_BYTES = 64 * 1024;
const SPACE = 0x20;

/**
 * Holds both manifest copies of a take open and rewrites them in turn: synchronous, so the recorder can
 * write a manifest from inside an audio message handler (a new track) without a race. A copy is
 * rewritten in place and never shrinks (the rest is spaces, which JSON ignores): on a full disk the
 * final manifest still fits where the last one was, since Chromium gives back no space on truncate
 * while the handle is open (seen in tests/e2e/recording-store.spec.ts).
 */
export class ManifestWriter {
  readonly #handles: [OpfsSyncHandle, OpfsSyncHandle];
  #sequence: number;
  #closed = false;
  #buffer = new Uint8Array(0);
  /**
   * Bytes at the start of each copy that may hold something other than spaces: a rewrite covers
   * max(new JSON, this) and leaves the rest, already spaces, alone (not 64 KiB a second).
   */
  readonly #used: [number, number];

  private constructor(handles: [OpfsSyncHandle, OpfsSyncHandle], sequence: number) {
    this.#handles = handles;
    this.#sequence = sequence;
    this.#used = [handles[0].getSize(), handles[1].getSize()];
  }

  /** Opens (creating) both copies; `sequence` continues an existing manifest's count. */
  static async open(dir: OpfsDirectoryHandle, sequence = 0): Promise<ManifestWriter> {
    const first = await (await dir.getFileHandle(MANIFEST_FILE, { create: true })).createSyncAccessHandle();
    try {
      const second = await (
        await dir.getFileHandle(MANIFEST_ALT_FILE, { create: true })
      ).createSyncAccessHandle();
      const writer = new ManifestWriter([first, second], sequence);
      writer.#reserve();
      return writer;
    } catch (error) {
      first.close();
      throw error;
    }
  }

  /** Grows both copies to the reserve now, while there is space (spaces only: not a manifest yet). */
  #reserve(): void {
    for (const handle of this.#handles) {
      const size = handle.getSize();
      if (size >= MANIFEST_RESERVE_BYTES) continue;
      const pad = new Uint8Array(MANIFEST_RESERVE_BYTES - size).fill(SPACE);
      if (handle.write(pad, { at: size }) !== pad.byteLength)
        throw new ShortWriteError('no space for the manifest');
      handle.flush();
    }
  }

  /** Writes the next copy (the one not written last). Storage errors propagate. */
  write(manifest: TakeManifest): void {
    if (this.#closed) throw new Error('manifest writer is closed');
    const sequence = this.#sequence + 1;
    const { sequence: _old, ...rest } = manifest;
    const body = JSON.stringify(rest).slice(1, -1);
    const json = encoder.encode(`{"sequence":${sequence},${body},"sequence":${sequence}}`);
    const index = sequence % 2;
    const handle = this.#handles[index]!;
    const size = Math.max(json.byteLength, this.#used[index]!);
    if (this.#buffer.byteLength < size) this.#buffer = new Uint8Array(size);
    const bytes = this.#buffer.subarray(0, size);
    bytes.set(json);
    bytes.fill(SPACE, json.byteLength);
    this.#used[index] = size; // until the write is known whole
    const written = handle.write(bytes, { at: 0 });
    if (written !== bytes.byteLength)
      throw new ShortWriteError(`short manifest write: ${written} of ${size}`);
    handle.flush();
    this.#used[index] = json.byteLength;
    this.#sequence = sequence;
  }

  /** Writes both copies: the final state of a take leaves no older copy behind. */
  writeBoth(manifest: TakeManifest): void {
    this.write(manifest);
    this.write(manifest);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const handle of this.#handles) {
      try {
        handle.close();
      } catch {
        // Closing a handle the browser already invalidated: nothing left to release.
      }
    }
  }
}

/** Writes a finished manifest into both copies (rename, recover): opens, writes, closes. */
export async function writeManifestCopies(dir: OpfsDirectoryHandle, manifest: TakeManifest): Promise<void> {
  const writer = await ManifestWriter.open(dir, manifest.sequence ?? 0);
  try {
    writer.writeBoth(manifest);
  } finally {
    writer.close();
  }
}

export function durationOf(tracks: readonly TakeTrack[]): number {
  return tracks.reduce((end, t) => Math.max(end, t.startSample + t.frames), 0);
}

export function summarize(manifest: TakeManifest, bytes: number, unfinished: boolean): TakeSummary {
  return {
    id: manifest.id,
    name: manifest.name,
    startedAt: manifest.startedAt,
    durationFrames: manifest.durationFrames,
    players: manifest.tracks.filter((t) => t.kind === 'self' || t.kind === 'remote').map((t) => t.name),
    bytes,
    state: manifest.state,
    unfinished,
  };
}

/** A take held by a live recorder: the one this store's owner records, or one locked by another tab. */
export class TakeBusyError extends Error {
  override name = 'TakeBusyError';
}

export class TakeStore {
  readonly #root: () => Promise<OpfsDirectoryHandle>;
  readonly #locks: LocksLike | null;

  constructor(root: () => Promise<OpfsDirectoryHandle>, locks: LocksLike | null) {
    this.#root = root;
    this.#locks = locks;
  }

  async takesDirectory(): Promise<OpfsDirectoryHandle> {
    return (await this.#root()).getDirectoryHandle(TAKES_DIRECTORY, { create: true });
  }

  /** The take's directory; a clear error when there is no such take. */
  async takeDirectory(id: string): Promise<OpfsDirectoryHandle> {
    if (!isTakeId(id)) throw new RangeError(`Not a take id: ${String(id)}`);
    try {
      return await (await this.takesDirectory()).getDirectoryHandle(id);
    } catch (error) {
      if (isNotFoundError(error)) throw new Error('This take no longer exists.');
      throw error;
    }
  }

  /** Lock names held by any live recorder (any tab), or null without Web Locks. */
  async heldLocks(): Promise<Set<string> | null> {
    if (!this.#locks) return null;
    const state = await this.#locks.query();
    return new Set((state.held ?? []).map((lock) => lock.name ?? ''));
  }

  async isHeld(id: string): Promise<boolean> {
    return (await this.heldLocks())?.has(takeLockName(id)) ?? false;
  }

  /**
   * Takes the lock of a new take, for as long as the take lives. Returns its release function, or null
   * when another recorder holds it; a no-op release without Web Locks.
   */
  async hold(id: string): Promise<(() => void) | null> {
    const locks = this.#locks;
    if (!locks) return () => {};
    return new Promise((resolve, reject) => {
      locks
        .request(takeLockName(id), { ifAvailable: true }, (lock) => {
          if (!lock) {
            resolve(null);
            return undefined;
          }
          return new Promise<void>((release) => resolve(() => release()));
        })
        .catch(reject);
    });
  }

  /**
   * Every take, newest first. `live` is the manifest of the take this recorder is writing (its files
   * are held open, so it is described from memory).
   */
  async list(live: TakeManifest | null = null): Promise<TakeSummary[]> {
    const takes = await this.takesDirectory();
    const held = await this.heldLocks();
    const summaries: TakeSummary[] = [];
    for await (const [id, entry] of takes.entries()) {
      if (entry.kind !== 'directory' || !isTakeId(id)) continue;
      if (live && live.id === id) {
        summaries.push(summarize(live, bytesFromManifest(live), false));
        continue;
      }
      const isHeld = held?.has(takeLockName(id)) ?? false;
      let manifest: TakeManifest;
      try {
        manifest = await readManifest(entry);
      } catch {
        // Held open by a live recorder in another tab (its files may not be readable meanwhile).
        if (isHeld) summaries.push(liveElsewhere(id));
        // A take whose recorder died before its first audio block has no manifest and no audio.
        else if (await isEmptyOfAudio(entry))
          await takes.removeEntry(id, { recursive: true }).catch(() => {});
        continue;
      }
      const bytes = await this.#bytes(entry, manifest);
      summaries.push(summarize(manifest, bytes, manifest.state === 'recording' && !isHeld));
    }
    return summaries.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
  }

  async manifest(id: string): Promise<TakeManifest> {
    return readManifest(await this.takeDirectory(id));
  }

  async rename(id: string, name: string): Promise<TakeManifest> {
    const clean = cleanTakeName(name);
    const dir = await this.takeDirectory(id);
    if (await this.isHeld(id)) throw new TakeBusyError('This take is still being recorded in another tab.');
    const manifest = { ...(await readManifest(dir)), name: clean };
    await writeManifestCopies(dir, manifest);
    return manifest;
  }

  async delete(id: string): Promise<void> {
    await this.takeDirectory(id);
    if (await this.isHeld(id)) throw new TakeBusyError('This take is still being recorded in another tab.');
    await (await this.takesDirectory()).removeEntry(id, { recursive: true });
    await this.#deleteExports(id);
  }

  /** A deleted take's exports go too: its audio must not linger as zips in the same storage. */
  async #deleteExports(id: string): Promise<void> {
    const root = await this.#root();
    const exports = await root.getDirectoryHandle(EXPORTS_DIRECTORY).catch(() => null);
    if (!exports) return;
    // The names export-core's exportFileName gives (not imported: it would bring the encoders along).
    for (const what of ['mix', 'stems', 'all'])
      for (const format of ['wav', 'opus'])
        await exports.removeEntry(`${id}-${what}-${format}.zip`).catch(() => undefined);
  }

  /**
   * Finalises a take its recorder never finished, from its manifest and its files: each track keeps
   * every whole frame on disk (`floor(size / (4 × channels))`; a torn last frame is cut off), the
   * concealed ranges are clipped to it, and the take becomes `recovered` (stopReason `crashed`).
   * A take already finished is returned as it is.
   */
  async recover(id: string): Promise<TakeManifest> {
    const dir = await this.takeDirectory(id);
    if (await this.isHeld(id)) throw new TakeBusyError('This take is still being recorded in another tab.');
    const manifest = await readManifest(dir);
    if (manifest.state !== 'recording') return manifest;
    const tracks: TakeTrack[] = [];
    for (const track of manifest.tracks) {
      const frames = await recoverTrackFile(dir, track);
      if (frames === null) continue;
      const end = track.startSample + frames;
      const concealed = track.concealed
        .map(([a, b]): [number, number] => [a, Math.min(b, end)])
        .filter(([a, b]) => b > a);
      tracks.push({ ...track, frames, concealed });
    }
    const recovered: TakeManifest = {
      ...manifest,
      tracks,
      durationFrames: durationOf(tracks),
      state: 'recovered',
      stopReason: 'crashed',
      stopMessage: 'The page closed while recording; the take was recovered from its files.',
    };
    await writeManifestCopies(dir, recovered);
    return { ...recovered, sequence: (manifest.sequence ?? 0) + 2 };
  }

  async #bytes(dir: OpfsDirectoryHandle, manifest: TakeManifest): Promise<number> {
    let bytes = 0;
    for (const track of manifest.tracks) {
      try {
        bytes += (await (await dir.getFileHandle(track.file)).getFile()).size;
      } catch {
        bytes += track.frames * 4 * track.channels;
      }
    }
    return bytes;
  }
}

/** What the list shows of a take another tab is recording and whose manifest it holds open. */
function liveElsewhere(id: string): TakeSummary {
  return {
    id,
    name: id,
    startedAt: '',
    durationFrames: 0,
    players: [],
    bytes: 0,
    state: 'recording',
    unfinished: false,
  };
}

function bytesFromManifest(manifest: TakeManifest): number {
  return manifest.tracks.reduce((sum, t) => sum + t.frames * 4 * t.channels, 0);
}

async function isEmptyOfAudio(dir: OpfsDirectoryHandle): Promise<boolean> {
  for await (const [, entry] of dir.entries()) {
    if (entry.kind !== 'file') return false;
    if ((await entry.getFile()).size > 0 && entry.name.endsWith(TRACK_FILE_SUFFIX)) return false;
  }
  return true;
}

/** Whole frames in a track's file, the file cut to them; null when the file is gone. */
async function recoverTrackFile(dir: OpfsDirectoryHandle, track: TakeTrack): Promise<number | null> {
  let handle: OpfsFileHandle;
  try {
    handle = await dir.getFileHandle(track.file);
  } catch (error) {
    if (isNotFoundError(error)) return null;
    throw error;
  }
  const access = await handle.createSyncAccessHandle();
  try {
    const frameBytes = 4 * track.channels;
    const size = access.getSize();
    const frames = Math.floor(size / frameBytes);
    if (frames * frameBytes !== size) {
      access.truncate(frames * frameBytes);
      access.flush();
    }
    return frames;
  } finally {
    access.close();
  }
}
