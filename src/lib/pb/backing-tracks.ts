/**
 * The studio's backing tracks on PocketBase (`backing_tracks`, see docs/pocketbase.md): list, upload
 * with progress, download through a member's file token, delete. The server judges every upload (its
 * bytes, its size, the studio's count) and answers refusals with `{code, message}`; this module only
 * carries them, plus one check of its own before sending (the size: no point uploading 70 MB to hear
 * "too large" at the end).
 */
import type PocketBase from 'pocketbase';
import type { BackingTracksRecord } from './types';

/** internal/backingtracks MaxBytes. */
export const BACKING_TRACK_MAX_BYTES = 50 * 1024 * 1024;
export const BACKING_TRACK_ACCEPT = '.wav,.mp3,.ogg,.oga,.opus,.flac,audio/*';

export const BackingTrackErrorCode = {
  TooLarge: 'track-too-large',
  NotAudio: 'not-audio',
  TooMany: 'too-many-tracks',
  CannotDelete: 'cannot-delete-track',
  Network: 'network',
  Failed: 'failed',
} as const;
export type BackingTrackErrorCode =
  (typeof BackingTrackErrorCode)[keyof typeof BackingTrackErrorCode] | string;

/** A refusal or failure with the server's (or our) sentence; `code` lets the page translate it. */
export class BackingTrackError extends Error {
  readonly code: BackingTrackErrorCode;
  readonly status: number;
  constructor(code: BackingTrackErrorCode, message: string, status = 0) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** "72 MB", as file managers and the server write sizes. */
export function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${mb < 10 ? String(Math.round(mb * 10) / 10) : String(Math.round(mb))} MB`;
}

export function listBackingTracks(pb: PocketBase, studioId: string): Promise<BackingTracksRecord[]> {
  return pb.collection('backing_tracks').getFullList<BackingTracksRecord>({
    filter: pb.filter('studio = {:studio}', { studio: studioId }),
    sort: 'created',
    requestKey: null,
  });
}

export async function deleteBackingTrack(pb: PocketBase, id: string): Promise<void> {
  try {
    await pb.collection('backing_tracks').delete(id, { requestKey: null });
  } catch (error) {
    throw asTrackError(error);
  }
}

/** The track's bytes, through a fresh file token (the file is protected: members only). */
export async function downloadBackingTrack(pb: PocketBase, id: string): Promise<ArrayBuffer> {
  const record = await pb.collection('backing_tracks').getOne<BackingTracksRecord>(id, { requestKey: null });
  const token = await pb.files.getToken({ requestKey: null });
  const response = await fetch(pb.files.getURL(record, record.file, { token }));
  if (!response.ok)
    throw new BackingTrackError(BackingTrackErrorCode.Failed, `Download failed (${response.status}).`);
  return response.arrayBuffer();
}

export interface UploadBackingTrackOptions {
  studioId: string;
  title: string;
  file: File;
  /** 0–1 as the bytes leave (XMLHttpRequest's upload progress: fetch has none). */
  onProgress(fraction: number): void;
  signal?: AbortSignal;
}

/** Uploads one track; resolves with the record the server made (uploader and file facts are its own). */
export function uploadBackingTrack(
  pb: PocketBase,
  options: UploadBackingTrackOptions,
): Promise<BackingTracksRecord> {
  const { file } = options;
  if (file.size > BACKING_TRACK_MAX_BYTES)
    return Promise.reject(
      new BackingTrackError(
        BackingTrackErrorCode.TooLarge,
        `That file is ${megabytes(file.size)}; the limit for a backing track is ${megabytes(BACKING_TRACK_MAX_BYTES)}.`,
        413,
      ),
    );
  const body = new FormData();
  body.append('studio', options.studioId);
  body.append('title', options.title.trim().slice(0, 120) || 'Backing track');
  body.append('file', file);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', pb.buildURL('/api/collections/backing_tracks/records'));
    xhr.setRequestHeader('Authorization', pb.authStore.token);
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) options.onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        options.onProgress(1);
        resolve(xhr.response as BackingTracksRecord);
      } else reject(asTrackError({ status: xhr.status, response: xhr.response as unknown }));
    };
    xhr.onerror = () =>
      reject(
        new BackingTrackError(
          BackingTrackErrorCode.Network,
          'The upload broke off: check the connection and try again.',
        ),
      );
    xhr.onabort = () => reject(new BackingTrackError('aborted', 'Upload cancelled.'));
    options.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

/** An SDK or XHR failure as a BackingTrackError carrying the server's sentence when there is one. */
function asTrackError(error: unknown): BackingTrackError {
  if (error instanceof BackingTrackError) return error;
  const e = error as { status?: unknown; response?: { code?: unknown; message?: unknown } | null };
  const status = typeof e?.status === 'number' ? e.status : 0;
  const code = typeof e?.response?.code === 'string' ? e.response.code : BackingTrackErrorCode.Failed;
  const message =
    typeof e?.response?.message === 'string' && e.response.message !== ''
      ? e.response.message
      : `The server refused (${status}).`;
  return new BackingTrackError(code, message, status);
}
