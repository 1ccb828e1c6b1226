/**
 * An in-memory Origin Private File System with the subset the recorder uses (src/lib/recording/opfs.ts)
 * and the behaviour it relies on: sync access handles are exclusive per file; a write past the end
 * zero-fills the gap; a write that would exceed the quota throws a QuotaExceededError and writes nothing;
 * and durability — what a file holds at its last flush() (or close()) is what survives `crash()`, which
 * also invalidates every open handle, as a dying tab does. Plus Web Locks shared between "tabs".
 */
import type {
  LocksLike,
  OpfsDirectoryHandle,
  OpfsFile,
  OpfsFileHandle,
  OpfsSyncHandle,
  StorageEstimateLike,
} from '../../src/lib/recording/opfs';

const domError = (name: string, message: string) => new DOMException(message, name);

class Bytes {
  data = new Uint8Array(0);
  size = 0;

  write(src: Uint8Array, at: number): void {
    const end = at + src.byteLength;
    if (end > this.data.byteLength) {
      const grown = new Uint8Array(Math.max(end, this.data.byteLength * 2));
      grown.set(this.data.subarray(0, this.size));
      this.data = grown;
    }
    // Bytes between the old end and `at` are zero: the array was zeroed when grown or truncated.
    this.data.set(src, at);
    this.size = Math.max(this.size, end);
  }

  truncate(size: number): void {
    if (size < this.size) this.data.fill(0, size, this.size);
    if (size > this.data.byteLength) {
      const grown = new Uint8Array(size);
      grown.set(this.data.subarray(0, this.size));
      this.data = grown;
    }
    this.size = size;
  }

  copy(): Bytes {
    const copy = new Bytes();
    copy.data = this.data.slice(0, this.size);
    copy.size = this.size;
    return copy;
  }

  view(): Uint8Array {
    return this.data.subarray(0, this.size);
  }
}

export interface MemoryOpfsOptions {
  /** Total bytes the files may hold; a write beyond throws QuotaExceededError. */
  quotaBytes?: number;
  /**
   * Whether `getFile()` works on a file a sync access handle holds open. Chromium allows it (seen in
   * tests/e2e/recording-store.spec.ts: it reads what was written, flushed or not); the spec leaves it
   * open, so `false` checks the recorder copes with a browser that refuses.
   */
  readWhileOpen?: boolean;
  /**
   * How a write beyond the quota fails: 'throw' a QuotaExceededError (the spec), or 'short': write
   * nothing and return 4294967288, base::File's FILE_ERROR_NO_SPACE as an unsigned count (Chromium, seen
   * in tests/e2e/recording-store.spec.ts).
   */
  quotaFailure?: 'throw' | 'short';
}

export class MemoryOpfs {
  readonly root: MemoryDirectory;
  quotaBytes: number | null;
  readonly readWhileOpen: boolean;
  readonly quotaFailure: 'throw' | 'short';
  /** Handles opened since the last crash (so crash() can invalidate them). */
  readonly openHandles = new Set<MemorySyncHandle>();
  /** Counts, for assertions: flushes per file path. */
  readonly flushes = new Map<string, number>();

  constructor(options: MemoryOpfsOptions = {}) {
    this.quotaBytes = options.quotaBytes ?? null;
    this.readWhileOpen = options.readWhileOpen ?? true;
    this.quotaFailure = options.quotaFailure ?? 'throw';
    this.root = new MemoryDirectory(this, '', '');
  }

  /** navigator.storage.getDirectory() */
  getDirectory = async (): Promise<OpfsDirectoryHandle> => this.root;

  /** navigator.storage.estimate() */
  estimate = async (): Promise<StorageEstimateLike> => ({
    usage: this.usage(),
    quota: this.quotaBytes ?? 10 * 1024 ** 3,
  });

  usage(): number {
    return this.root.usage();
  }

  /**
   * The tab dies: every file goes back to what its last flush made durable, and every open handle
   * becomes unusable (its lock on the file is gone).
   */
  crash(): void {
    this.root.revertToDurable();
    for (const handle of this.openHandles) handle.invalidate();
    this.openHandles.clear();
  }

  /** A file's current contents by path ("bandmesh-takes/<id>/mix.f32"), or null. */
  file(path: string): Uint8Array | null {
    const parts = path.split('/');
    let dir: MemoryDirectory | undefined = this.root;
    for (const part of parts.slice(0, -1)) dir = dir?.dirs.get(part);
    return dir?.files.get(parts.at(-1)!)?.bytes.view() ?? null;
  }
}

class MemoryFileHandle implements OpfsFileHandle {
  readonly kind = 'file';
  bytes = new Bytes();
  durable = new Bytes();
  open: MemorySyncHandle | null = null;

  constructor(
    readonly fs: MemoryOpfs,
    readonly name: string,
    readonly path: string,
  ) {}

  async getFile(): Promise<OpfsFile> {
    if (this.open && !this.fs.readWhileOpen)
      throw domError('NoModificationAllowedError', `${this.path} is open for writing`);
    const contents = this.bytes.view().slice();
    return {
      size: contents.byteLength,
      text: async () => new TextDecoder().decode(contents),
      arrayBuffer: async () => contents.buffer,
      slice: (start?: number, end?: number) => ({
        arrayBuffer: async () => contents.slice(start, end).buffer,
      }),
    };
  }

  async createSyncAccessHandle(): Promise<OpfsSyncHandle> {
    if (this.open) throw domError('NoModificationAllowedError', `${this.path} already has an access handle`);
    const handle = new MemorySyncHandle(this);
    this.open = handle;
    this.fs.openHandles.add(handle);
    return handle;
  }
}

class MemorySyncHandle implements OpfsSyncHandle {
  #valid = true;

  constructor(readonly file: MemoryFileHandle) {}

  #check(): void {
    if (!this.#valid) throw domError('InvalidStateError', 'the access handle is closed');
  }

  invalidate(): void {
    this.#valid = false;
    if (this.file.open === this) this.file.open = null;
  }

  read(buffer: ArrayBufferView, options: { at?: number } = {}): number {
    this.#check();
    const at = options.at ?? 0;
    const src = this.file.bytes.view().subarray(at, at + buffer.byteLength);
    new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength).set(src);
    return src.byteLength;
  }

  write(buffer: ArrayBufferView, options: { at?: number } = {}): number {
    this.#check();
    const at = options.at ?? 0;
    const growth = Math.max(0, at + buffer.byteLength - this.file.bytes.size);
    const quota = this.file.fs.quotaBytes;
    if (quota !== null && this.file.fs.usage() + growth > quota) {
      if (this.file.fs.quotaFailure === 'short') return 2 ** 32 - 8;
      throw domError('QuotaExceededError', 'The quota has been exceeded.');
    }
    this.file.bytes.write(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), at);
    return buffer.byteLength;
  }

  truncate(size: number): void {
    this.#check();
    const quota = this.file.fs.quotaBytes;
    const growth = Math.max(0, size - this.file.bytes.size);
    if (quota !== null && growth > 0 && this.file.fs.usage() + growth > quota)
      throw domError('QuotaExceededError', 'The quota has been exceeded.');
    this.file.bytes.truncate(size);
  }

  getSize(): number {
    this.#check();
    return this.file.bytes.size;
  }

  flush(): void {
    this.#check();
    this.file.durable = this.file.bytes.copy();
    const flushes = this.file.fs.flushes;
    flushes.set(this.file.path, (flushes.get(this.file.path) ?? 0) + 1);
  }

  close(): void {
    if (!this.#valid) return;
    this.flush();
    this.invalidate();
    this.file.fs.openHandles.delete(this);
  }
}

class MemoryDirectory implements OpfsDirectoryHandle {
  readonly kind = 'directory';
  readonly dirs = new Map<string, MemoryDirectory>();
  readonly files = new Map<string, MemoryFileHandle>();

  constructor(
    readonly fs: MemoryOpfs,
    readonly name: string,
    readonly path: string,
  ) {}

  #child(name: string): string {
    if (!name || name.includes('/') || name === '.' || name === '..')
      throw new TypeError(`bad name: ${name}`);
    return this.path ? `${this.path}/${name}` : name;
  }

  async getDirectoryHandle(name: string, options: { create?: boolean } = {}): Promise<OpfsDirectoryHandle> {
    const path = this.#child(name);
    if (this.files.has(name)) throw domError('TypeMismatchError', `${path} is a file`);
    let dir = this.dirs.get(name);
    if (!dir) {
      if (!options.create) throw domError('NotFoundError', `${path} not found`);
      dir = new MemoryDirectory(this.fs, name, path);
      this.dirs.set(name, dir);
    }
    return dir;
  }

  async getFileHandle(name: string, options: { create?: boolean } = {}): Promise<OpfsFileHandle> {
    const path = this.#child(name);
    if (this.dirs.has(name)) throw domError('TypeMismatchError', `${path} is a directory`);
    let file = this.files.get(name);
    if (!file) {
      if (!options.create) throw domError('NotFoundError', `${path} not found`);
      file = new MemoryFileHandle(this.fs, name, path);
      this.files.set(name, file);
    }
    return file;
  }

  async removeEntry(name: string, options: { recursive?: boolean } = {}): Promise<void> {
    const path = this.#child(name);
    const file = this.files.get(name);
    if (file) {
      if (file.open) throw domError('NoModificationAllowedError', `${path} is open`);
      this.files.delete(name);
      return;
    }
    const dir = this.dirs.get(name);
    if (!dir) throw domError('NotFoundError', `${path} not found`);
    if (!options.recursive && (dir.dirs.size > 0 || dir.files.size > 0))
      throw domError('InvalidModificationError', `${path} is not empty`);
    if (dir.hasOpenFile()) throw domError('NoModificationAllowedError', `${path} holds an open file`);
    this.dirs.delete(name);
  }

  async *entries(): AsyncIterableIterator<[string, OpfsFileHandle | OpfsDirectoryHandle]> {
    for (const [name, dir] of [...this.dirs]) yield [name, dir];
    for (const [name, file] of [...this.files]) yield [name, file];
  }

  hasOpenFile(): boolean {
    return (
      [...this.files.values()].some((f) => f.open) || [...this.dirs.values()].some((d) => d.hasOpenFile())
    );
  }

  usage(): number {
    let sum = 0;
    for (const file of this.files.values()) sum += file.bytes.size;
    for (const dir of this.dirs.values()) sum += dir.usage();
    return sum;
  }

  revertToDurable(): void {
    for (const file of this.files.values()) file.bytes = file.durable.copy();
    for (const dir of this.dirs.values()) dir.revertToDurable();
  }
}

/**
 * Web Locks shared by every "tab" of one origin. `tab()` gives one tab's `navigator.locks`;
 * `crashTab` releases everything that tab held, as the browser does when a tab dies.
 */
export class MemoryLocks {
  readonly #held = new Map<string, { tab: number; release: () => void }>();
  #tabs = 0;

  tab(): LocksLike & { readonly id: number } {
    const id = ++this.#tabs;
    return {
      id,
      request: (name, options, callback) => this.#request(id, name, options, callback),
      query: async () => ({ held: [...this.#held.keys()].map((name) => ({ name })) }),
    };
  }

  crashTab(tab: { readonly id: number }): void {
    for (const lock of [...this.#held.values()]) if (lock.tab === tab.id) lock.release();
    for (const [name, lock] of [...this.#held]) if (lock.tab === tab.id) this.#held.delete(name);
  }

  isHeld(name: string): boolean {
    return this.#held.has(name);
  }

  async #request(
    tab: number,
    name: string,
    options: { ifAvailable?: boolean },
    callback: (lock: unknown) => unknown,
  ): Promise<unknown> {
    if (this.#held.has(name)) {
      if (options.ifAvailable) return callback(null);
      throw new Error('MemoryLocks: waiting for a held lock is not implemented');
    }
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.#held.set(name, { tab, release });
    try {
      return await Promise.race([Promise.resolve(callback({ name, mode: 'exclusive' })), released]);
    } finally {
      if (this.#held.get(name)?.tab === tab) this.#held.delete(name);
    }
  }
}
