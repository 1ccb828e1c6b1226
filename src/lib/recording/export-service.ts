/**
 * The export Worker's work, behind small structural types so Node tests run it on the in-memory OPFS
 * (tests/support/opfs-memory.ts): find the take in `bandmesh-takes/<id>/`, check it is not being
 * recorded and that storage has room, then run export-core with the track files read through
 * `getFile().slice(a, b).arrayBuffer()` (≤ 4 MiB at a time, never a whole file) and the zip written
 * through a sync access handle to `bandmesh-exports/<takeId>-<what>-<format>.zip`. Memory stays flat
 * however long the take. A failed or cancelled export leaves no partial zip behind.
 */
import { TAKES_DIRECTORY, type TakeManifest } from '../protocol/recording';
import {
  estimateZipBytes,
  exportFileName,
  exportTake,
  exportedTracks,
  planExport,
  type ExportDeps,
  type ExportFormat,
  type ExportWhat,
  type TakeFiles,
} from './export-core';
import {
  EXPORTS_DIRECTORY,
  PROGRESS_INTERVAL_MS,
  type ExportErrorName,
  type FromExportWorker,
  type ToExportWorker,
} from './export-messages';
import type { ByteSink } from './formats/zip';
import {
  describeError,
  isNotFoundError,
  isQuotaError,
  ShortWriteError,
  type LocksLike,
  type OpfsDirectoryHandle,
  type OpfsFile,
  type OpfsSyncHandle,
  type StorageEstimateLike,
} from './opfs';
import { isTakeId, readManifest, takeLockName } from './take-store';

export interface ExportEnvironment extends ExportDeps {
  /** navigator.storage.getDirectory() */
  root(): Promise<OpfsDirectoryHandle>;
  /** navigator.storage.estimate(), when there is one. */
  estimate: (() => Promise<StorageEstimateLike>) | null;
  /** navigator.locks, when there are Web Locks: a take being recorded holds its lock. */
  locks: LocksLike | null;
  /** Milliseconds, for spacing progress messages and pauses (performance.now). */
  clock(): number;
  /** Resolves in a later task, after the messages waiting (a MessageChannel round trip in the Worker). */
  nextTask(): Promise<void>;
}

/** A failure with a person-readable message. */
export class ExportFailure extends Error {
  constructor(
    readonly code: ExportErrorName,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

const MB = 1024 * 1024;
/** Writes to the sync access handle are gathered up to this size (Opus pages are a few kB each). */
const WRITE_BUFFER_BYTES = 1 * MB;
/** Longest stretch of work without letting messages in (a cancel waits at most about this long). */
const PAUSE_EVERY_MS = 50;

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : undefined;
}

/** Writes at increasing positions through a sync access handle, gathering small writes. */
class SyncHandleSink implements ByteSink {
  readonly #handle: OpfsSyncHandle;
  readonly #buffer = new Uint8Array(WRITE_BUFFER_BYTES);
  #buffered = 0;
  #position = 0;

  constructor(handle: OpfsSyncHandle) {
    this.#handle = handle;
  }

  write(bytes: Uint8Array): void {
    if (this.#buffered + bytes.length > this.#buffer.length) this.#drain();
    if (bytes.length >= this.#buffer.length) this.#put(bytes);
    else {
      this.#buffer.set(bytes, this.#buffered);
      this.#buffered += bytes.length;
    }
  }

  /** Writes what is gathered and flushes; the file then holds everything written. */
  finish(): void {
    this.#drain();
    this.#handle.flush();
  }

  #drain(): void {
    if (this.#buffered === 0) return;
    this.#put(this.#buffer.subarray(0, this.#buffered));
    this.#buffered = 0;
  }

  #put(bytes: Uint8Array): void {
    const written = this.#handle.write(bytes, { at: this.#position });
    // Anything but the whole count is the quota running out: Chromium returns FILE_ERROR_NO_SPACE as
    // an unsigned count (4294967288) instead of throwing (opfs.ts).
    if (written !== bytes.length)
      throw new ShortWriteError(`short write: ${written} of ${bytes.length} bytes`);
    // No flush on the way: a half-written zip is worthless after a crash, and flushing every 64 MiB
    // made a 20-min WAV export take 22 s with 574 ms without progress here (9 s and 150 ms without).
    this.#position += written;
  }
}

function mb(bytes: number): string {
  return `${Math.max(1, Math.ceil(bytes / MB))} MB`;
}

export class ExportService {
  readonly #env: ExportEnvironment;
  readonly #post: (message: FromExportWorker) => void;
  readonly #jobs = new Map<number, AbortController>();
  #queue: Promise<void> = Promise.resolve();

  constructor(env: ExportEnvironment, post: (message: FromExportWorker) => void) {
    this.#env = env;
    this.#post = post;
  }

  handle(message: ToExportWorker): void {
    if (typeof message !== 'object' || message === null) return;
    if (message.type === 'cancel') {
      this.#jobs.get(message.job)?.abort(new ExportFailure('AbortError', 'The export was cancelled.'));
      return;
    }
    if (message.type !== 'export' || !Number.isSafeInteger(message.job)) return;
    const controller = new AbortController();
    this.#jobs.set(message.job, controller);
    // One export at a time: two would compete for the same two cores and the same disk.
    this.#queue = this.#queue.then(() => this.#run(message, controller.signal));
  }

  async #run(request: Extract<ToExportWorker, { type: 'export' }>, signal: AbortSignal): Promise<void> {
    const { job } = request;
    try {
      if (signal.aborted) throw signal.reason;
      const result = await this.#export(request, signal);
      this.#post({ type: 'done', job, ...result });
    } catch (error) {
      const failure = this.#explain(error);
      this.#post({ type: 'error', job, name: failure.code, message: failure.message });
    } finally {
      this.#jobs.delete(job);
    }
  }

  #explain(error: unknown): ExportFailure {
    if (error instanceof ExportFailure) return error;
    if (isQuotaError(error))
      return new ExportFailure(
        'QuotaExceededError',
        'The storage is full: the export could not be written. Delete old takes or exports, then try again.',
      );
    if (errorName(error) === 'AbortError')
      return new ExportFailure('AbortError', 'The export was cancelled.');
    return new ExportFailure('Error', `The export failed: ${describeError(error)}`);
  }

  async #export(
    request: Extract<ToExportWorker, { type: 'export' }>,
    signal: AbortSignal,
  ): Promise<{ file: File; name: string; bytes: number }> {
    const { takeId, format, what } = request;
    if (!isTakeId(takeId)) throw new ExportFailure('NotFoundError', 'There is no such take.');
    if (!isFormat(format) || !isWhat(what)) throw new ExportFailure('Error', 'Unknown export format.');
    const root = await this.#env.root();
    const takeDir = await this.#takeDirectory(root, takeId);
    if (this.#env.locks) {
      const held = await this.#env.locks.query();
      if ((held.held ?? []).some((lock) => lock.name === takeLockName(takeId)))
        throw new ExportFailure(
          'InUseError',
          'This take is still being recorded. Stop the recording, then export it.',
        );
    }
    let manifest: TakeManifest;
    try {
      manifest = await readManifest(takeDir);
    } catch {
      throw new ExportFailure(
        'DataError',
        "This take's description is damaged or missing, so it cannot be exported.",
      );
    }
    if (manifest.state === 'recording')
      throw new ExportFailure('InUseError', 'This take was not finished. Recover it first, then export it.');

    const files = await this.#trackFiles(takeDir, manifest);
    const sizes = new Map<string, number>();
    for (const track of exportedTracks(manifest, what)) sizes.set(track.file, await files.size(track.file));
    const options = { format, what, silenceConcealed: request.silenceConcealed === true };
    let needed: number;
    try {
      needed = estimateZipBytes(planExport(manifest, sizes, options), format);
    } catch (error) {
      throw new ExportFailure('DataError', describeError(error));
    }
    await this.#checkRoom(needed);

    const exportsDir = await root.getDirectoryHandle(EXPORTS_DIRECTORY, { create: true });
    const name = exportFileName(takeId, what, format);
    const fileHandle = await exportsDir.getFileHandle(name, { create: true });
    let handle: OpfsSyncHandle;
    try {
      handle = await fileHandle.createSyncAccessHandle();
    } catch (error) {
      if (errorName(error) === 'NoModificationAllowedError' || errorName(error) === 'InvalidStateError')
        throw new ExportFailure(
          'InUseError',
          'This export is already being written (in another tab?). Try again when it is done.',
        );
      throw error;
    }
    let bytes: number;
    let closed = false;
    try {
      handle.truncate(0);
      const sink = new SyncHandleSink(handle);
      let last = -Infinity;
      const onProgress = (fraction: number) => {
        const now = this.#env.clock();
        if (fraction < 1 && now - last < PROGRESS_INTERVAL_MS) return;
        last = now;
        this.#post({ type: 'progress', job: request.job, fraction });
      };
      let lastPause = this.#env.clock();
      const deps = {
        ...this.#env,
        // Encoding awaits only microtasks between reads: without this a cancel would wait for a chunk.
        pause: async () => {
          if (this.#env.clock() - lastPause < PAUSE_EVERY_MS) return;
          await this.#env.nextTask();
          lastPause = this.#env.clock();
        },
      };
      ({ bytes } = await exportTake(manifest, files, sink, options, deps, onProgress, signal));
      sink.finish();
      handle.close();
      closed = true;
    } catch (error) {
      if (!closed) {
        try {
          handle.close();
        } catch {
          // already unusable
        }
      }
      // No partial zip: it would look like an export and open as a broken archive.
      await exportsDir.removeEntry(name).catch(() => undefined);
      throw error;
    }
    const file = (await fileHandle.getFile()) as OpfsFile as unknown as File;
    return { file, name, bytes };
  }

  async #takeDirectory(root: OpfsDirectoryHandle, takeId: string): Promise<OpfsDirectoryHandle> {
    try {
      return await (await root.getDirectoryHandle(TAKES_DIRECTORY)).getDirectoryHandle(takeId);
    } catch (error) {
      if (isNotFoundError(error))
        throw new ExportFailure('NotFoundError', 'This take is no longer on this device (was it deleted?).');
      throw error;
    }
  }

  async #trackFiles(dir: OpfsDirectoryHandle, manifest: TakeManifest): Promise<TakeFiles> {
    const opened = new Map<string, OpfsFile>();
    const who = (file: string) => {
      const track = manifest.tracks.find((t) => t.file === file);
      return track?.kind === 'mix' ? 'the mix' : `${track?.name ?? 'a player'}'s track`;
    };
    const open = async (file: string): Promise<OpfsFile> => {
      const known = opened.get(file);
      if (known) return known;
      try {
        const blob = await (await dir.getFileHandle(file)).getFile();
        opened.set(file, blob);
        return blob;
      } catch (error) {
        if (isNotFoundError(error))
          throw new ExportFailure('NotFoundError', `The audio of ${who(file)} is missing from this take.`);
        if (errorName(error) === 'NoModificationAllowedError')
          throw new ExportFailure(
            'InUseError',
            'This take is still being recorded. Stop the recording, then export it.',
          );
        throw error;
      }
    };
    return {
      size: async (file) => (await open(file)).size,
      read: async (file, offset, length) => {
        const blob = await open(file);
        try {
          return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
        } catch (error) {
          // The file changed under us (deleted, or recovery truncated it): a File snapshot is then stale.
          throw new ExportFailure(
            'NotFoundError',
            `The audio of ${who(file)} could not be read (${describeError(error)}).`,
          );
        }
      },
    };
  }

  async #checkRoom(needed: number): Promise<void> {
    if (!this.#env.estimate) return;
    let estimate: StorageEstimateLike;
    try {
      estimate = await this.#env.estimate();
    } catch {
      return; // no estimate: the writes will tell
    }
    if (estimate.quota === undefined || estimate.usage === undefined) return;
    const free = estimate.quota - estimate.usage;
    if (free < needed)
      throw new ExportFailure(
        'QuotaExceededError',
        `Not enough storage for this export: it needs about ${mb(needed)}, and ${mb(Math.max(0, free))} are free. ` +
          'Delete old takes or exports, or export as Opus (much smaller).',
      );
  }
}

function isFormat(value: unknown): value is ExportFormat {
  return value === 'wav' || value === 'opus';
}
function isWhat(value: unknown): value is ExportWhat {
  return value === 'mix' || value === 'stems' || value === 'all';
}
