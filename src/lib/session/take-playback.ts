/**
 * Playing a take's mix in an <audio> element without reading it into memory: the mix track's raw
 * float32 file in the Origin Private File System, behind a 44-byte WAV header (IEEE float, 48 kHz,
 * stereo). `new Blob([header, file])` refers to the file on disk instead of copying it, so an hour-long
 * take (1.4 GB) plays at once, seeking included; no export needed. The object URL is the caller's to
 * revoke.
 */
import { MIX_TRACK, RECORDING_SAMPLE_RATE, TAKES_DIRECTORY, type TakeManifest } from '../protocol/recording';

/** A RIFF size is 32-bit: a longer mix plays its first ~3 h (48 kHz stereo float32). */
const MAX_DATA_BYTES = 0xffff_ffff - 36;

/** The header of a WAV file holding `dataBytes` of little-endian float32 PCM. */
export function floatWavHeader(
  dataBytes: number,
  channels: number,
  sampleRate = RECORDING_SAMPLE_RATE,
): ArrayBuffer {
  const bytes = Math.min(dataBytes, MAX_DATA_BYTES);
  const header = new ArrayBuffer(44);
  const view = new DataView(header);
  const ascii = (at: number, text: string) => {
    for (let i = 0; i < text.length; i++) view.setUint8(at + i, text.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + bytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 3, true); // WAVE_FORMAT_IEEE_FLOAT
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * 4, true);
  view.setUint16(32, channels * 4, true);
  view.setUint16(34, 32, true);
  ascii(36, 'data');
  view.setUint32(40, bytes, true);
  return header;
}

/** The take's mix as a playable Blob (header + the file on disk), or null when it has no mix yet. */
export async function mixPlaybackBlob(
  manifest: TakeManifest,
  root: FileSystemDirectoryHandle,
): Promise<Blob | null> {
  const mix = manifest.tracks.find((t) => t.id === MIX_TRACK);
  if (!mix) return null;
  const takes = await root.getDirectoryHandle(TAKES_DIRECTORY);
  const dir = await takes.getDirectoryHandle(manifest.id);
  const file = await (await dir.getFileHandle(mix.file)).getFile();
  const frameBytes = mix.channels * 4;
  const bytes = Math.min(
    file.size - (file.size % frameBytes),
    MAX_DATA_BYTES - (MAX_DATA_BYTES % frameBytes),
  );
  if (bytes <= 0) return null;
  return new Blob([floatWavHeader(bytes, mix.channels), file.slice(0, bytes)], { type: 'audio/wav' });
}
