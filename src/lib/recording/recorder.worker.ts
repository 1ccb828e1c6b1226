/// <reference lib="webworker" />
/**
 * Entry of the recorder Worker: one RecorderCore over the browser's OPFS, storage estimate and Web
 * Locks (all three exist in dedicated Workers; only `persist()` does not, so RecorderClient asks for it).
 */
import type { FromRecorder, ToRecorder } from '../protocol/recording';
import type { LocksLike, OpfsDirectoryHandle } from './opfs';
import { RecorderCore } from './recorder-core';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const storage = scope.navigator.storage as StorageManager | undefined;
const locks = (scope.navigator as { locks?: LocksLike }).locks ?? null;

const core = new RecorderCore(
  {
    root: async () => {
      if (typeof storage?.getDirectory !== 'function') throw new Error('no Origin Private File System');
      return (await storage.getDirectory()) as unknown as OpfsDirectoryHandle;
    },
    estimate: async () => (typeof storage?.estimate === 'function' ? storage.estimate() : null),
    persisted: async () => (typeof storage?.persisted === 'function' ? storage.persisted() : false),
    locks,
  },
  (message: FromRecorder, transfer: Transferable[] = []) => scope.postMessage(message, transfer),
  { onDisposed: () => scope.close() },
);
scope.onmessage = (event: MessageEvent<ToRecorder>) => core.handle(event.data);
