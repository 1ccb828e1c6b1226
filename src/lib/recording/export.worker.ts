/// <reference lib="webworker" />
/**
 * Entry of the export Worker: one ExportService on this origin's private file system. Encoding runs
 * here (libopus-wasm), never on an audio thread; see export-service.ts and ADR 0011.
 */
import type { ToExportWorker } from './export-messages';
import { ExportService } from './export-service';
import { createOpusFileEncoder } from './formats/opus-encoder';
import type { LocksLike, OpfsDirectoryHandle } from './opfs';

const scope = self as unknown as DedicatedWorkerGlobalScope;
// A task boundary without setTimeout's clamping: a message to ourselves.
const tick = new MessageChannel();
const waiting: Array<() => void> = [];
tick.port1.onmessage = () => waiting.shift()?.();
const nextTask = () =>
  new Promise<void>((resolve) => {
    waiting.push(resolve);
    tick.port2.postMessage(null);
  });
const storage = scope.navigator.storage;
const service = new ExportService(
  {
    root: async () => (await storage.getDirectory()) as unknown as OpfsDirectoryHandle,
    estimate: typeof storage.estimate === 'function' ? () => storage.estimate() : null,
    locks: (scope.navigator.locks as unknown as LocksLike | undefined) ?? null,
    createOpusEncoder: createOpusFileEncoder,
    uuid: () => crypto.randomUUID(),
    now: () => new Date(),
    clock: () => performance.now(),
    nextTask,
  },
  (message) => scope.postMessage(message),
);
scope.onmessage = (event: MessageEvent<ToExportWorker>) => service.handle(event.data);
