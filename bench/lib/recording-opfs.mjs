/**
 * Reads a take straight from a page's Origin Private File System (src/lib/protocol/recording.ts describes
 * the layout): the manifest, and a track's raw float32 file in chunks, so the benchmark can check an
 * hour-long take without exporting it and without ever holding a whole track. Only read a take that no
 * recorder holds open (stopped or recovered): its files are then plain files.
 */
const TAKES = 'bandmesh-takes';
const MANIFESTS = ['take.json', 'take.1.json'];
/** Bytes per read: 8 MiB of float32 (~44 s of mono audio) crosses CDP as ~11 MB of base64. */
export const CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * @typedef {import('@playwright/test').Page} Page
 * @typedef {import('../../src/lib/protocol/recording').TakeManifest} TakeManifest
 * @typedef {import('../../src/lib/protocol/recording').TakeTrack} TakeTrack
 */

/**
 * Take ids in the page's OPFS.
 * @param {Page} page
 * @returns {Promise<string[]>}
 */
export function listTakeIds(page) {
  return page.evaluate(async (takes) => {
    const root = await navigator.storage.getDirectory();
    /** @type {string[]} */
    const ids = [];
    try {
      const dir = await root.getDirectoryHandle(takes);
      // @ts-expect-error FileSystemDirectoryHandle is async-iterable in Chromium; lib.dom lacks it
      for await (const [name, handle] of dir.entries()) if (handle.kind === 'directory') ids.push(name);
    } catch (error) {
      if (!(error instanceof DOMException && error.name === 'NotFoundError')) throw error;
    }
    return ids;
  }, TAKES);
}

/**
 * The take's newest whole manifest copy (the recorder writes two in turn, each with a `sequence`).
 * @param {Page} page
 * @param {string} takeId
 * @returns {Promise<TakeManifest>}
 */
export async function readManifest(page, takeId) {
  const copies = await page.evaluate(
    async ({ takes, takeId, names }) => {
      const root = await navigator.storage.getDirectory();
      const dir = await (await root.getDirectoryHandle(takes)).getDirectoryHandle(takeId);
      /** @type {string[]} */
      const texts = [];
      for (const name of names) {
        try {
          texts.push(await (await (await dir.getFileHandle(name)).getFile()).text());
        } catch {
          // that copy does not exist (yet)
        }
      }
      return texts;
    },
    { takes: TAKES, takeId, names: MANIFESTS },
  );
  /** @type {TakeManifest | null} */
  let best = null;
  for (const text of copies) {
    try {
      const manifest = /** @type {TakeManifest} */ (JSON.parse(text));
      if (!best || (manifest.sequence ?? 0) > (best.sequence ?? 0)) best = manifest;
    } catch {
      // a copy torn by a crash: the other one is whole
    }
  }
  if (!best) throw new Error(`take ${takeId} has no readable manifest (${copies.length} copies)`);
  return best;
}

/**
 * Bytes [offset, offset + length) of a file in a take's directory, and the file's size.
 * @param {Page} page
 * @param {string} takeId
 * @param {string} file
 * @param {number} offset
 * @param {number} length
 */
export async function readTakeFileChunk(page, takeId, file, offset, length) {
  const { size, base64 } = await page.evaluate(
    async ({ takes, takeId, file, offset, length }) => {
      const root = await navigator.storage.getDirectory();
      const dir = await (await root.getDirectoryHandle(takes)).getDirectoryHandle(takeId);
      const blob = await (await dir.getFileHandle(file)).getFile();
      const bytes = new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) {
        binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      }
      return { size: blob.size, base64: btoa(binary) };
    },
    { takes: TAKES, takeId, file, offset, length },
  );
  return { size, bytes: Buffer.from(base64, 'base64') };
}

/**
 * Streams a track's float32 file through `onFrames` in chunks of whole frames; returns the file size.
 * @param {Page} page
 * @param {string} takeId
 * @param {TakeTrack} track
 * @param {(samples: Float32Array) => void} onFrames interleaved, `track.channels` per frame
 */
export async function streamTrack(page, takeId, track, onFrames) {
  const frameBytes = 4 * track.channels;
  const chunk = CHUNK_BYTES - (CHUNK_BYTES % frameBytes);
  let offset = 0;
  let size = Infinity;
  while (offset < size) {
    const read = await readTakeFileChunk(page, takeId, track.file, offset, chunk);
    size = read.size;
    const whole = read.bytes.length - (read.bytes.length % frameBytes);
    if (whole === 0) break;
    // Copy into an aligned buffer: a Buffer's offset into its pool need not be a multiple of 4.
    const aligned = new Uint8Array(whole);
    aligned.set(read.bytes.subarray(0, whole));
    onFrames(new Float32Array(aligned.buffer));
    offset += whole;
  }
  return size === Infinity ? 0 : size;
}
