/**
 * The upload routes of pocketbase/internal/recordings: paths, bodies, error codes, and the error a
 * person reads when an upload or a listing fails. docs/pocketbase.md describes the routes.
 */
import { ClientResponseError } from 'pocketbase';

export type RecordingKind = 'mix' | 'stems';

/** `POST /api/bandmesh/uploads` body. */
export interface StartUploadBody {
  studio: string;
  takeId: string;
  kind: RecordingKind;
  name: string;
  durationFrames: number;
  size: number;
  /** The exported file's name; its extension (.zip, .wav, .ogg, .opus) is kept. */
  fileName?: string;
  /** Lowercase hex SHA-256, checked on complete when given. */
  sha256?: string;
}

/** What the server holds of an unfinished upload (start, status and every chunk answer with it). */
export interface UploadState {
  uploadId: string;
  chunkSize: number;
  size: number;
  received: number;
}

/** `GET /api/bandmesh/recordings/limits`. */
export interface RecordingLimits {
  enabled: boolean;
  maxBytes: number;
  chunkSize: number;
}

export const UploadErrorCode = {
  Unauthorized: 'unauthorized',
  Disabled: 'recordings-disabled',
  Invalid: 'invalid-upload',
  TooLarge: 'recording-too-large',
  ChunkTooLarge: 'chunk-too-large',
  NotMember: 'not-member',
  NotFound: 'not-found',
  UploadNotFound: 'upload-not-found',
  WrongOffset: 'wrong-offset',
  Incomplete: 'upload-incomplete',
  AlreadyUploaded: 'already-uploaded',
  TooManyUploads: 'too-many-uploads',
  ChecksumMismatch: 'checksum-mismatch',
  ChunkInterrupted: 'chunk-interrupted',
  ServerFull: 'server-full',
  Internal: 'internal',
} as const;
export type UploadErrorCode = (typeof UploadErrorCode)[keyof typeof UploadErrorCode];

/** Error body of the upload routes. */
export interface UploadErrorBody {
  code: string;
  message: string;
  /** wrong-offset, upload-incomplete: the byte the server expects next. */
  expected?: number;
  /** already-uploaded: the recording that holds this take. */
  recordId?: string;
}

export const uploadRoutes = {
  limits: '/api/bandmesh/recordings/limits',
  start: '/api/bandmesh/uploads',
  upload: (id: string) => `/api/bandmesh/uploads/${encodeURIComponent(id)}`,
  complete: (id: string) => `/api/bandmesh/uploads/${encodeURIComponent(id)}/complete`,
} as const;

/** The `{code, message, …}` of a failed upload route call, or null. */
export function uploadErrorBody(error: unknown): UploadErrorBody | null {
  if (!(error instanceof ClientResponseError)) return null;
  const body = error.response as Partial<UploadErrorBody>;
  return typeof body.code === 'string' && typeof body.message === 'string' ? (body as UploadErrorBody) : null;
}

/** A failed upload, listing or deletion, with a sentence for people and the server's code when it sent one. */
export class UploadError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

export const CANCELLED_MESSAGE =
  'The upload was cancelled. Uploading the take again continues where it stopped.';
export const OFFLINE_MESSAGE =
  'Lost the connection to the server. Upload the take again when you are back online: it continues where it stopped.';

export function isAbort(error: unknown): boolean {
  return (
    (error instanceof ClientResponseError && error.isAbort) ||
    (error instanceof DOMException && error.name === 'AbortError')
  );
}

/**
 * Whether trying again may help: no answer at all, an interrupted chunk, a server hiccup. A
 * refusal (403, 404, 409, 413, too-many-uploads, server-full) is final.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof ClientResponseError) || error.isAbort) return false;
  const code = uploadErrorBody(error)?.code;
  if (code === UploadErrorCode.ChunkInterrupted) return true;
  if (code === UploadErrorCode.TooManyUploads || code === UploadErrorCode.ServerFull) return false;
  return error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500;
}

/** Any failure as an UploadError a person can read. */
export function toUploadError(
  error: unknown,
  fallback = 'The upload failed. Please try again.',
): UploadError {
  if (error instanceof UploadError) return error;
  if (isAbort(error)) return new UploadError(CANCELLED_MESSAGE, 'cancelled', 0);
  if (error instanceof ClientResponseError) {
    const body = uploadErrorBody(error);
    if (body) return new UploadError(body.message, body.code, error.status);
    if (error.status === 0) return new UploadError(OFFLINE_MESSAGE, 'offline', 0);
    const message = typeof error.response?.message === 'string' ? error.response.message : '';
    return new UploadError(message || fallback, 'error', error.status);
  }
  return new UploadError(error instanceof Error && error.message ? error.message : fallback, 'error', 0);
}
