/**
 * A streaming, store-only zip writer: entries go out as their bytes arrive (the export never holds a
 * file in memory), each followed by a data descriptor with its CRC and size, then the central directory.
 * Audio does not deflate usefully, so nothing is compressed.
 *
 * ZIP64 (APPNOTE 4.5.3): an entry whose size may reach 4 GiB is declared with `zip64` (its local header
 * carries the ZIP64 extra field, so its data descriptor has 8-byte sizes); the central directory gives
 * any size or offset ≥ 4 GiB in the ZIP64 extra field, and the archive ends with a ZIP64 end record and
 * locator when the directory starts past 4 GiB (or holds ≥ 65535 entries). An entry not declared zip64
 * that grows past 4 GiB is refused with an error rather than written wrong.
 */
import { crc32 } from './crc32';

/** Where the zip goes: a sync access handle in the export Worker, memory or a file in tests. */
export interface ByteSink {
  write(bytes: Uint8Array): void | Promise<void>;
}

const U32 = 0xffffffff;
const U16 = 0xffff;
const FLAG_DATA_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const VERSION_ZIP64 = 45;
const VERSION_STORE = 20; // 2.0: data descriptors
const VERSION_MADE_BY = (3 << 8) | VERSION_ZIP64; // Unix, 4.5

interface CentralRecord {
  name: Uint8Array;
  crc: number;
  size: number;
  offset: number;
  zip64: boolean;
  time: number;
  date: number;
}

function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.min(Math.max(date.getFullYear(), 1980), 2107);
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

function setU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value % 0x1_0000_0000, true);
  view.setUint32(at + 4, Math.floor(value / 0x1_0000_0000), true);
}

/** One entry being written; `close()` ends it (writes its data descriptor). */
export interface ZipEntryWriter {
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export class ZipWriter {
  readonly #sink: ByteSink;
  readonly #stamp: { time: number; date: number };
  readonly #records: CentralRecord[] = [];
  readonly #names = new Set<string>();
  #offset = 0;
  #open = false;
  #finished = false;

  constructor(sink: ByteSink, options: { date?: Date } = {}) {
    this.#sink = sink;
    this.#stamp = dosDateTime(options.date ?? new Date());
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.#offset;
  }

  async #put(bytes: Uint8Array): Promise<void> {
    await this.#sink.write(bytes);
    this.#offset += bytes.length;
  }

  /**
   * Starts an entry. `maxSize`: an upper bound of its size when known; from 4 GiB up (or unknown with
   * `zip64: true`) the entry is written in ZIP64 form.
   */
  async entry(name: string, options: { maxSize?: number; zip64?: boolean } = {}): Promise<ZipEntryWriter> {
    if (this.#finished) throw new Error('zip: already finished');
    if (this.#open) throw new Error('zip: the previous entry is still open');
    if (name.length === 0 || name.startsWith('/') || name.includes('\\') || name.split('/').includes('..'))
      throw new RangeError(`zip: bad entry name ${JSON.stringify(name)}`);
    if (this.#names.has(name)) throw new RangeError(`zip: duplicate entry ${name}`);
    const nameBytes = new TextEncoder().encode(name);
    if (nameBytes.length > U16) throw new RangeError('zip: entry name too long');
    const zip64 = options.zip64 === true || (options.maxSize ?? 0) >= U32;
    this.#names.add(name);

    const extraLength = zip64 ? 20 : 0;
    const header = new Uint8Array(30 + nameBytes.length + extraLength);
    const view = new DataView(header.buffer);
    view.setUint32(0, 0x04034b50, true);
    view.setUint16(4, zip64 ? VERSION_ZIP64 : VERSION_STORE, true);
    view.setUint16(6, FLAG_DATA_DESCRIPTOR | FLAG_UTF8, true);
    view.setUint16(8, 0, true); // stored
    view.setUint16(10, this.#stamp.time, true);
    view.setUint16(12, this.#stamp.date, true);
    // CRC and sizes follow in the data descriptor; with ZIP64 the sizes read 0xFFFFFFFF here.
    view.setUint32(14, 0, true);
    view.setUint32(18, zip64 ? U32 : 0, true);
    view.setUint32(22, zip64 ? U32 : 0, true);
    view.setUint16(26, nameBytes.length, true);
    view.setUint16(28, extraLength, true);
    header.set(nameBytes, 30);
    if (zip64) {
      view.setUint16(30 + nameBytes.length, 0x0001, true);
      view.setUint16(32 + nameBytes.length, 16, true); // two zero 8-byte sizes follow
    }
    const offset = this.#offset;
    this.#open = true;
    await this.#put(header);

    let crc = 0;
    let size = 0;
    let closed = false;
    return {
      write: async (bytes: Uint8Array) => {
        if (closed) throw new Error('zip: entry closed');
        if (bytes.length === 0) return;
        if (!zip64 && size + bytes.length >= U32)
          throw new RangeError(`zip: entry ${name} reached 4 GiB without being declared ZIP64`);
        crc = crc32(bytes, crc);
        size += bytes.length;
        await this.#put(bytes);
      },
      close: async () => {
        if (closed) return;
        closed = true;
        const descriptor = new Uint8Array(zip64 ? 24 : 16);
        const d = new DataView(descriptor.buffer);
        d.setUint32(0, 0x08074b50, true);
        d.setUint32(4, crc, true);
        if (zip64) {
          setU64(d, 8, size);
          setU64(d, 16, size);
        } else {
          d.setUint32(8, size, true);
          d.setUint32(12, size, true);
        }
        await this.#put(descriptor);
        this.#records.push({ name: nameBytes, crc, size, offset, zip64, ...this.#stamp });
        this.#open = false;
      },
    };
  }

  /** A whole small entry at once. */
  async file(name: string, bytes: Uint8Array): Promise<void> {
    const entry = await this.entry(name, { maxSize: bytes.length });
    await entry.write(bytes);
    await entry.close();
  }

  /** Writes the central directory and end records; returns the archive's size in bytes. */
  async finish(): Promise<number> {
    if (this.#finished) return this.#offset;
    if (this.#open) throw new Error('zip: an entry is still open');
    this.#finished = true;
    const directoryOffset = this.#offset;
    for (const record of this.#records) await this.#put(centralHeader(record));
    const directorySize = this.#offset - directoryOffset;
    const count = this.#records.length;
    const needs64 = count >= U16 || directoryOffset >= U32 || directorySize >= U32;
    if (needs64) {
      const zip64EndOffset = this.#offset;
      const end64 = new Uint8Array(56 + 20);
      const v = new DataView(end64.buffer);
      v.setUint32(0, 0x06064b50, true);
      setU64(v, 4, 44); // size of the record after this field
      v.setUint16(12, VERSION_MADE_BY, true);
      v.setUint16(14, VERSION_ZIP64, true);
      v.setUint32(16, 0, true); // this disk
      v.setUint32(20, 0, true); // disk with the directory
      setU64(v, 24, count);
      setU64(v, 32, count);
      setU64(v, 40, directorySize);
      setU64(v, 48, directoryOffset);
      v.setUint32(56, 0x07064b50, true); // locator
      v.setUint32(60, 0, true);
      setU64(v, 64, zip64EndOffset);
      v.setUint32(72, 1, true); // total disks
      await this.#put(end64);
    }
    const end = new Uint8Array(22);
    const e = new DataView(end.buffer);
    e.setUint32(0, 0x06054b50, true);
    e.setUint16(8, Math.min(count, U16), true);
    e.setUint16(10, Math.min(count, U16), true);
    e.setUint32(12, Math.min(directorySize, U32), true);
    e.setUint32(16, Math.min(directoryOffset, U32), true);
    await this.#put(end);
    return this.#offset;
  }
}

function centralHeader(record: CentralRecord): Uint8Array {
  // A ZIP64-declared entry gives its sizes in the extra field, like its local header and descriptor.
  const bigSize = record.size >= U32 || record.zip64;
  const bigOffset = record.offset >= U32;
  // The ZIP64 extra holds, in this order, only the fields whose 32-bit slot reads 0xFFFFFFFF.
  const extraFields = (bigSize ? 2 : 0) + (bigOffset ? 1 : 0);
  const extraLength = extraFields > 0 ? 4 + 8 * extraFields : 0;
  const out = new Uint8Array(46 + record.name.length + extraLength);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x02014b50, true);
  v.setUint16(4, VERSION_MADE_BY, true);
  v.setUint16(6, record.zip64 || extraFields > 0 ? VERSION_ZIP64 : VERSION_STORE, true);
  v.setUint16(8, FLAG_DATA_DESCRIPTOR | FLAG_UTF8, true);
  v.setUint16(10, 0, true);
  v.setUint16(12, record.time, true);
  v.setUint16(14, record.date, true);
  v.setUint32(16, record.crc, true);
  v.setUint32(20, bigSize ? U32 : record.size, true);
  v.setUint32(24, bigSize ? U32 : record.size, true);
  v.setUint16(28, record.name.length, true);
  v.setUint16(30, extraLength, true);
  v.setUint16(32, 0, true); // comment
  v.setUint16(34, 0, true); // disk
  v.setUint16(36, 0, true); // internal attributes
  v.setUint32(38, (0o100644 << 16) >>> 0, true); // a regular file, rw-r--r--
  v.setUint32(42, bigOffset ? U32 : record.offset, true);
  out.set(record.name, 46);
  if (extraLength > 0) {
    let at = 46 + record.name.length;
    v.setUint16(at, 0x0001, true);
    v.setUint16(at + 2, extraLength - 4, true);
    at += 4;
    if (bigSize) {
      setU64(v, at, record.size); // uncompressed
      setU64(v, at + 8, record.size); // compressed
      at += 16;
    }
    if (bigOffset) setU64(v, at, record.offset);
  }
  return out;
}
