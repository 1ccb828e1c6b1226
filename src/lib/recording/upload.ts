/**
 * Optional upload of an exported take to the studio on PocketBase (issue 9), only ever started by
 * the player's click. Chunked so a dropped connection costs one chunk: the server keeps what it
 * received, and uploading the same take (same takeId and kind, same file) again continues from there
 * — after a reload too, because the server finds the unfinished upload by take rather than by an id
 * kept here. A failed chunk is retried with backoff after asking the server how much arrived.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type PocketBase from 'pocketbase';
import type { RecordingsRecord, UsersRecord } from '../pb/types';
import {
  UploadError,
  UploadErrorCode,
  isAbort,
  isTransient,
  toUploadError,
  uploadErrorBody,
  uploadRoutes,
  type RecordingKind,
  type RecordingLimits,
  type StartUploadBody,
  type UploadState,
} from './upload-api';

export interface UploadOptions {
  studioId: string;
  takeId: string;
  kind: RecordingKind;
  name: string;
  durationFrames: number;
  /** The export; a File's name gives the stored file its name and extension. */
  file: Blob;
  onProgress(fraction: number): void;
  signal?: AbortSignal;
  /** Waits before the 1st, 2nd, … retry of a failed request, ms; tests shorten them. */
  retryDelaysMs?: readonly number[];
}

export interface UploadedRecording {
  id: string;
  name: string;
  kind: RecordingKind;
  durationFrames: number;
  bytes: number;
  uploaderId: string;
  uploaderName: string;
  created: string;
  /** The stored file's name (its extension says whether a browser can play it). */
  fileName: string;
  /**
   * The file's address with a file token: the file is protected, so this works only for members
   * and only for a few minutes (PocketBase's file-token lifetime). Ask for a fresh one with
   * {@link recordingFileUrl} when the person presses play or download.
   */
  url: string;
}

/** Up to about half a minute of retries: long enough for a Wi-Fi hand-over, short enough to tell. */
export const RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 15000] as const;

/** Stops after this many chunk rounds in a row that moved nothing forward (a server that disagrees). */
const MAX_STALLED_ROUNDS = 8;

const json = { 'Content-Type': 'application/json' };

export function fetchRecordingLimits(pb: PocketBase): Promise<RecordingLimits> {
  return pb.send<RecordingLimits>(uploadRoutes.limits, { method: 'GET', requestKey: null });
}

export async function uploadTake(
  pb: PocketBase,
  options: UploadOptions,
): Promise<{ id: string; url: string }> {
  const { file, signal } = options;
  const delays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  const size = file.size;
  if (size === 0) throw new UploadError('This file is empty: there is nothing to upload.', 'empty', 0);
  const body: StartUploadBody = {
    studio: options.studioId,
    takeId: options.takeId,
    kind: options.kind,
    name: options.name,
    durationFrames: Math.max(0, Math.round(options.durationFrames)),
    size,
    fileName: fileNameOf(file, options.takeId, options.kind),
  };
  const start = () =>
    pb.send<UploadState>(uploadRoutes.start, {
      method: 'POST',
      body,
      headers: json,
      requestKey: null,
      signal,
    });

  try {
    // The checksum ties a resumed upload to exactly this file and lets the server verify the whole.
    body.sha256 = await fileSha256(file, signal);
    let state: UploadState;
    try {
      state = await retrying(start, delays, signal);
    } catch (error) {
      const done = alreadyUploaded(error);
      if (done) return await uploadedResult(pb, done);
      throw error;
    }
    options.onProgress(state.received / size);

    let received = state.received;
    let stalled = 0;
    while (received < size) {
      const before = received;
      received = await retrying(
        async (attempt) => {
          // After a failure the chunk may have arrived with only its answer lost: ask first.
          if (attempt > 0) received = (await status(pb, state.uploadId, signal)).received;
          if (received >= size) return received;
          const end = Math.min(received + state.chunkSize, size);
          try {
            const answer = await pb.send<UploadState>(uploadRoutes.upload(state.uploadId), {
              method: 'PUT',
              query: { offset: received },
              body: file.slice(received, end),
              headers: { 'Content-Type': 'application/octet-stream' },
              requestKey: null,
              signal,
            });
            return answer.received;
          } catch (error) {
            // The server holds a different amount than we thought: continue from there.
            const expected = uploadErrorBody(error);
            if (expected?.code === UploadErrorCode.WrongOffset && typeof expected.expected === 'number')
              return expected.expected;
            throw error;
          }
        },
        delays,
        signal,
      );
      stalled = received > before ? 0 : stalled + 1;
      if (stalled >= MAX_STALLED_ROUNDS)
        throw new UploadError(
          'The server stopped accepting this upload. Please try again later.',
          'stalled',
          0,
        );
      options.onProgress(received / size);
    }

    const record = await retrying(
      async (attempt) => {
        try {
          return await pb.send<RecordingsRecord>(uploadRoutes.complete(state.uploadId), {
            method: 'POST',
            requestKey: null,
            signal,
          });
        } catch (error) {
          // A retry after a lost answer: the first complete worked, so the take is a recording now.
          if (attempt > 0 && uploadErrorBody(error)?.code === UploadErrorCode.UploadNotFound) {
            try {
              await start();
            } catch (again) {
              const done = alreadyUploaded(again);
              if (done)
                return pb.collection('recordings').getOne<RecordingsRecord>(done, { requestKey: null });
            }
          }
          throw error;
        }
      },
      delays,
      signal,
    );
    options.onProgress(1);
    return { id: record.id, url: await recordingFileUrl(pb, record) };
  } catch (error) {
    throw toUploadError(error);
  }
}

/** The studio's uploaded takes, newest first (members only: the collection's list rule). */
export async function listRecordings(pb: PocketBase, studioId: string): Promise<UploadedRecording[]> {
  try {
    const records = await pb.collection('recordings').getFullList<RecordingsRecord & Expanded>({
      filter: pb.filter('studio = {:studio}', { studio: studioId }),
      sort: '-created',
      expand: 'uploader',
      requestKey: null,
    });
    const token = records.length > 0 ? await pb.files.getToken({ requestKey: null }) : '';
    return records.map((r) => ({
      id: r.id,
      name: r.name,
      kind: r.kind,
      durationFrames: r.durationFrames,
      bytes: r.bytes,
      uploaderId: r.uploader,
      uploaderName: r.expand?.uploader?.name ?? 'A member',
      created: r.created,
      fileName: r.file,
      url: pb.files.getURL(r, r.file, { token }),
    }));
  } catch (error) {
    throw toUploadError(error, 'The uploaded takes could not be loaded. Please try again.');
  }
}

/** Deletes an uploaded take: allowed to its uploader and to the studio owner (delete rule). */
export async function deleteRecording(pb: PocketBase, id: string): Promise<void> {
  try {
    await pb.collection('recordings').delete(id, { requestKey: null });
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 403 || status === 404)
      throw new UploadError(
        'Only the player who uploaded this take, or the studio owner, can delete it (or it is already gone).',
        'forbidden',
        status,
      );
    throw toUploadError(error, 'The take could not be deleted. Please try again.');
  }
}

/**
 * A fresh address of a recording's file (a new file token, valid a few minutes); `download` makes
 * the browser save it instead of opening it.
 */
export async function recordingFileUrl(
  pb: PocketBase,
  record: { id: string; collectionId?: string; collectionName?: string; file?: string; fileName?: string },
  download = false,
): Promise<string> {
  const token = await pb.files.getToken({ requestKey: null });
  const target = { collectionName: 'recordings', ...record };
  const name = record.file ?? record.fileName ?? '';
  return pb.files.getURL(target, name, download ? { token, download: true } : { token });
}

/**
 * The lowercase hex SHA-256 of a Blob, read a slice at a time (SubtleCrypto cannot hash a stream,
 * and a take of a few GB must not be read into memory whole).
 */
export async function fileSha256(file: Blob, signal?: AbortSignal): Promise<string> {
  const hash = sha256.create();
  const slice = 4 * 1024 * 1024;
  for (let at = 0; at < file.size; at += slice) {
    signal?.throwIfAborted();
    hash.update(new Uint8Array(await file.slice(at, at + slice).arrayBuffer()));
  }
  return bytesToHex(hash.digest());
}

/** Audio a browser element can play; a zip of stems is only downloaded. */
export function isPlayableFile(fileName: string): boolean {
  return /\.(wav|ogg|opus)$/i.test(fileName);
}

interface Expanded {
  expand?: { uploader?: Pick<UsersRecord, 'name'> };
}

async function uploadedResult(pb: PocketBase, id: string): Promise<{ id: string; url: string }> {
  const record = await pb.collection('recordings').getOne<RecordingsRecord>(id, { requestKey: null });
  return { id, url: await recordingFileUrl(pb, record) };
}

function alreadyUploaded(error: unknown): string | null {
  const body = uploadErrorBody(error);
  return body?.code === UploadErrorCode.AlreadyUploaded && body.recordId ? body.recordId : null;
}

function status(pb: PocketBase, id: string, signal?: AbortSignal): Promise<UploadState> {
  return pb.send<UploadState>(uploadRoutes.upload(id), { method: 'GET', requestKey: null, signal });
}

/** The export's name; a plain Blob gets one from its type (the server wants a known extension). */
function fileNameOf(file: Blob, takeId: string, kind: RecordingKind): string {
  const named = (file as Partial<File>).name;
  if (typeof named === 'string' && named) return named;
  const ext = /ogg|opus/.test(file.type) ? 'ogg' : /wav/.test(file.type) ? 'wav' : 'zip';
  return `${takeId}-${kind}.${kind === 'stems' ? 'zip' : ext}`;
}

/**
 * Runs `attempt(n)` until it succeeds, retrying transient failures after each delay in turn; a
 * refusal, an abort or running out of delays throws the last error.
 */
async function retrying<T>(
  attempt: (n: number) => Promise<T>,
  delays: readonly number[],
  signal?: AbortSignal,
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (isAbort(error) || signal?.aborted || !isTransient(error) || n >= delays.length) throw error;
      await sleep(delays[n]!, signal);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DOMException('Aborted', 'AbortError'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DOMException('Aborted', 'AbortError'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
