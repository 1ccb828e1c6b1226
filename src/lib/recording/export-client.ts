/**
 * The main thread's handle on the export Worker: starts it on the first export (an app that never
 * exports never loads libopus for it), sends jobs, routes progress, and resolves each job with the zip
 * as a disk-backed File in the origin's private storage (`bandmesh-exports/`), ready to download.
 * Failures reject with an Error whose `name` says why (export-messages.ts) and whose message is for a
 * person; a cancelled export rejects with an AbortError.
 */
import type { ExportFormat, ExportWhat } from './export-core';
import type { ExportErrorName, FromExportWorker, ToExportWorker } from './export-messages';

export type { ExportFormat, ExportWhat } from './export-core';

interface Job {
  resolve(file: File): void;
  reject(error: Error): void;
  onProgress(fraction: number): void;
  cleanup(): void;
}

/** The bundler turns this URL into the Worker's own chunk (Vite: `new Worker(new URL(...))`). */
function createExportWorker(): Worker {
  return new Worker(new URL('./export.worker.ts', import.meta.url), { type: 'module' });
}

function failure(name: ExportErrorName, message: string): Error {
  if (name === 'AbortError') return new DOMException(message, 'AbortError');
  const error = new Error(message);
  error.name = name;
  return error;
}

export class ExportClient {
  readonly #createWorker: () => Worker;
  #worker: Worker | null = null;
  readonly #jobs = new Map<number, Job>();
  #nextJob = 1;
  #disposed = false;

  /** `createWorker` is for tests; the app uses the default. */
  constructor(createWorker: () => Worker = createExportWorker) {
    this.#createWorker = createWorker;
  }

  export(
    takeId: string,
    options: { format: ExportFormat; what: ExportWhat; silenceConcealed?: boolean },
    onProgress: (fraction: number) => void,
    signal?: AbortSignal,
  ): Promise<File> {
    if (this.#disposed) return Promise.reject(new Error('The exporter has been closed.'));
    if (signal?.aborted) return Promise.reject(failure('AbortError', 'The export was cancelled.'));
    try {
      this.#ensureWorker();
    } catch (error) {
      return Promise.reject(new Error(`The export could not start: ${String(error)}`));
    }
    const job = this.#nextJob++;
    return new Promise<File>((resolve, reject) => {
      const onAbort = () => this.#post({ type: 'cancel', job });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#jobs.set(job, {
        resolve,
        reject,
        onProgress,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      this.#post({
        type: 'export',
        job,
        takeId,
        format: options.format,
        what: options.what,
        silenceConcealed: options.silenceConcealed === true,
      });
    });
  }

  /** Terminates the Worker; exports still running reject. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#worker?.terminate();
    this.#worker = null;
    this.#failAll(new Error('The exporter was closed before the export finished.'));
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = this.#createWorker();
    worker.onmessage = (event: MessageEvent<FromExportWorker>) => this.#onMessage(event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault?.();
      // The Worker could not load or crashed: its jobs are lost; the next export starts a new one.
      worker.terminate();
      if (this.#worker === worker) this.#worker = null;
      this.#failAll(
        new Error(`The export stopped unexpectedly${event.message ? ` (${event.message})` : ''}.`),
      );
    };
    this.#worker = worker;
    return worker;
  }

  #post(message: ToExportWorker): void {
    this.#worker?.postMessage(message);
  }

  #onMessage(message: FromExportWorker): void {
    const job = this.#jobs.get(message.job);
    if (!job) return;
    if (message.type === 'progress') {
      job.onProgress(message.fraction);
      return;
    }
    this.#jobs.delete(message.job);
    job.cleanup();
    if (message.type === 'done') {
      job.onProgress(1);
      job.resolve(message.file);
    } else job.reject(failure(message.name, message.message));
  }

  #failAll(error: Error): void {
    const jobs = [...this.#jobs.values()];
    this.#jobs.clear();
    for (const job of jobs) {
      job.cleanup();
      job.reject(error);
    }
  }
}
