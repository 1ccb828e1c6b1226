/**
 * The subset of the Origin Private File System and Web Locks the recorder uses, as structural types.
 * The browser's `FileSystemDirectoryHandle`, `FileSystemSyncAccessHandle` and `LockManager` satisfy them;
 * tests use the in-memory implementation in tests/support/opfs-memory.ts. Keeping the subset small keeps
 * that implementation honest (every method here is one the recorder really calls).
 */

export interface OpfsSyncHandle {
  read(buffer: ArrayBufferView, options?: { at?: number }): number;
  /** Writes at `at`; beyond the end the file grows, the gap zero-filled (File System spec). */
  write(buffer: ArrayBufferView, options?: { at?: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

/** What `getFile()` gives: a Blob's size and contents. */
export interface OpfsFile {
  readonly size: number;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
  /** A part of the file, read on its own (the export reads tracks in chunks, never whole). */
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

export interface OpfsFileHandle {
  readonly kind: 'file';
  readonly name: string;
  getFile(): Promise<OpfsFile>;
  /** Exclusive: a second one on the same file fails until the first is closed (Workers only). */
  createSyncAccessHandle(): Promise<OpfsSyncHandle>;
}

export interface OpfsDirectoryHandle {
  readonly kind: 'directory';
  readonly name: string;
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<OpfsDirectoryHandle>;
  getFileHandle(name: string, options?: { create?: boolean }): Promise<OpfsFileHandle>;
  removeEntry(name: string, options?: { recursive?: boolean }): Promise<void>;
  entries(): AsyncIterableIterator<[string, OpfsFileHandle | OpfsDirectoryHandle]>;
}

/** Web Locks (`navigator.locks`, in Windows and Workers): held by a tab until released or the tab dies. */
export interface LocksLike {
  request(
    name: string,
    options: { ifAvailable?: boolean },
    callback: (lock: unknown) => unknown,
  ): Promise<unknown>;
  query(): Promise<{ held?: Array<{ name?: string }> }>;
}

/** Storage left as `navigator.storage.estimate()` reports it (either may be missing). */
export interface StorageEstimateLike {
  usage?: number;
  quota?: number;
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string'
    ? error.name
    : undefined;
}

/**
 * A write the file system did not take whole. Chromium (seen in tests/e2e/recording-store.spec.ts) does
 * not throw when an origin's quota runs out mid-take: `write()` returns base::File's error code as an
 * unsigned count (4294967288 = −8, FILE_ERROR_NO_SPACE). Either way the disk is full for us.
 */
export class ShortWriteError extends Error {
  override name = 'ShortWriteError';
}

/** A write refused for lack of space: a QuotaExceededError (DOMException or Chromium's class) or short. */
export function isQuotaError(error: unknown): boolean {
  return errorName(error) === 'QuotaExceededError' || error instanceof ShortWriteError;
}

export function isNotFoundError(error: unknown): boolean {
  return errorName(error) === 'NotFoundError' || errorName(error) === 'TypeMismatchError';
}

export function describeError(error: unknown): string {
  return error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)
    ? String((error as { message: unknown }).message)
    : String(error);
}
