/**
 * What crosses between ExportClient (main thread) and the export Worker. One Worker runs one export at
 * a time (jobs queue); each job answers with `progress` messages, then exactly one `done` or `error`.
 */
import type { ExportFormat, ExportWhat } from './export-core';

/** Where finished exports go in the Origin Private File System: `<takeId>-<what>-<format>.zip`. */
export const EXPORTS_DIRECTORY = 'bandmesh-exports';
/** Shortest time between two progress messages of a job (the UI needs one at least every 250 ms). */
export const PROGRESS_INTERVAL_MS = 100;

export type ToExportWorker =
  | {
      type: 'export';
      job: number;
      takeId: string;
      format: ExportFormat;
      what: ExportWhat;
      silenceConcealed: boolean;
    }
  | { type: 'cancel'; job: number };

/**
 * Why an export failed: `NotFoundError` (take or track file gone), `InUseError` (still being recorded,
 * or the same export running in another tab), `QuotaExceededError` (storage full), `AbortError`
 * (cancelled), `DataError` (the take's files are damaged), `Error` (anything else).
 */
export type ExportErrorName =
  'NotFoundError' | 'InUseError' | 'QuotaExceededError' | 'AbortError' | 'DataError' | 'Error';

export type FromExportWorker =
  | { type: 'progress'; job: number; fraction: number }
  /** `file`: the zip in OPFS (disk-backed), `bytes` its size. */
  | { type: 'done'; job: number; file: File; name: string; bytes: number }
  /** `message` is for a person. */
  | { type: 'error'; job: number; name: ExportErrorName; message: string };
