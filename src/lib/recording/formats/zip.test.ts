import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { crc32 } from './crc32';
import { ZipWriter, type ByteSink } from './zip';

interface ReadEntry {
  name: string;
  size: number;
  crc: number;
  offset: number;
  zip64: boolean;
  data: Buffer | null;
}

/** Reads a zip back with yauzl (the reference reader); contents of entries up to `maxRead` bytes. */
function readZip(source: Buffer | string, maxRead = 1 << 20): Promise<ReadEntry[]> {
  return new Promise((resolve, reject) => {
    const opened = (error: Error | null, zip: yauzl.ZipFile) => {
      if (error) return reject(error);
      const entries: ReadEntry[] = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        const record: ReadEntry = {
          name: entry.fileName,
          size: entry.uncompressedSize,
          crc: entry.crc32,
          offset: entry.relativeOffsetOfLocalHeader,
          zip64: entry.extraFields.some((f) => f.id === 0x0001),
          data: null,
        };
        entries.push(record);
        if (entry.uncompressedSize > maxRead) return zip.readEntry();
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            record.data = Buffer.concat(chunks);
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    };
    const options = {
      lazyEntries: true,
      decodeStrings: true,
      validateEntrySizes: true,
      strictFileNames: true,
    };
    if (typeof source === 'string') yauzl.open(source, options, opened);
    else yauzl.fromBuffer(source, options, opened);
  });
}

class MemorySink implements ByteSink {
  readonly parts: Uint8Array[] = [];
  write(bytes: Uint8Array): void {
    this.parts.push(bytes.slice());
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const temp = mkdtempSync(join(tmpdir(), 'bandmesh-zip-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('crc32', () => {
  it('matches zlib over random data fed in uneven pieces', () => {
    const data = new Uint8Array(100_003);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    let crc = 0;
    for (let at = 0; at < data.length; at += 4097) crc = crc32(data.subarray(at, at + 4097), crc);
    expect(crc).toBe(zlibCrc32(data));
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('ZipWriter', () => {
  it('writes entries a reference reader lists and reads back byte for byte', async () => {
    const sink = new MemorySink();
    const zip = new ZipWriter(sink, { date: new Date(2026, 11, 7, 14, 30, 20) });
    const text = new TextEncoder().encode('{"hello":"world"}\n');
    await zip.file('manifest.json', text);
    const audio = new Uint8Array(300_001).map((_, i) => (i * 31) & 0xff);
    const entry = await zip.entry('01 Zoë (bass, 5-string).wav', { maxSize: audio.length });
    for (let at = 0; at < audio.length; at += 65_536) await entry.write(audio.subarray(at, at + 65_536));
    await entry.close();
    await zip.file('empty.txt', new Uint8Array(0));
    const size = await zip.finish();
    const bytes = sink.bytes();
    expect(size).toBe(bytes.length);

    const entries = await readZip(bytes);
    expect(entries.map((e) => e.name)).toEqual(['manifest.json', '01 Zoë (bass, 5-string).wav', 'empty.txt']);
    expect(entries[0]!.data).toEqual(Buffer.from(text));
    expect(entries[1]!.data).toEqual(Buffer.from(audio));
    expect(entries[1]!.crc).toBe(zlibCrc32(audio));
    expect(entries[2]!.data!.length).toBe(0);
    expect(entries.some((e) => e.zip64)).toBe(false);
  });

  it('refuses misuse clearly: two open entries, duplicate or unsafe names', async () => {
    const zip = new ZipWriter(new MemorySink());
    const first = await zip.entry('a.wav');
    await expect(zip.entry('b.wav')).rejects.toThrow(/still open/);
    await first.close();
    await expect(zip.file('a.wav', new Uint8Array(1))).rejects.toThrow(/duplicate/);
    await expect(zip.file('../evil', new Uint8Array(1))).rejects.toThrow(/bad entry name/);
    await expect(zip.file('/abs', new Uint8Array(1))).rejects.toThrow(/bad entry name/);
  });

  it('writes ZIP64 for an entry over 4 GiB and the entries after it (real writer, sparse file)', async () => {
    const path = join(temp, 'big.zip');
    const fd = openSync(path, 'w');
    const zeros = new Uint8Array(4 << 20);
    let position = 0;
    // A file sink that leaves holes for the (shared) all-zero chunk: 4 GiB written, ~nothing stored.
    const sink: ByteSink = {
      write(bytes) {
        if (bytes !== zeros) writeSync(fd, bytes, 0, bytes.length, position);
        position += bytes.length;
      },
    };
    const zip = new ZipWriter(sink);
    await zip.file('before.txt', new TextEncoder().encode('before'));
    const bigSize = 2 ** 32 + zeros.length; // 4 GiB + 4 MiB
    const big = await zip.entry('mix.wav', { maxSize: bigSize });
    for (let written = 0; written < bigSize; written += zeros.length) await big.write(zeros);
    await big.close();
    await zip.file('after.txt', new TextEncoder().encode('after the big one'));
    const total = await zip.finish();
    ftruncateSync(fd, total);
    closeSync(fd);
    expect(statSync(path).size).toBe(total);

    let crc = 0;
    for (let written = 0; written < bigSize; written += zeros.length) crc = zlibCrc32(zeros, crc);
    const entries = await readZip(path);
    expect(entries.map((e) => e.name)).toEqual(['before.txt', 'mix.wav', 'after.txt']);
    expect(entries[1]).toMatchObject({ size: bigSize, crc, zip64: true });
    expect(entries[2]!.offset).toBeGreaterThan(2 ** 32); // needs the ZIP64 offset and end records
    expect(entries[2]!.data!.toString()).toBe('after the big one');
    expect(entries[0]!.data!.toString()).toBe('before');
  }, 120_000);
});
