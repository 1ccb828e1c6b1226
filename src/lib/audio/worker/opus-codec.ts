/**
 * Opus for the audio Worker: libopus 1.6 compiled to WebAssembly (`libopus-wasm`), called
 * synchronously, inside the task that handles the frame (a 2.5 ms mono frame: 11.6 µs to encode,
 * 5.2 µs to decode, medians from `npm run bench:codec`, ADR 0007). WebCodecs' AudioEncoder/AudioDecoder
 * hop to a codec thread and back for every frame, which cost ~5 ms of median delay and skipped frames
 * on a 2-core machine (docs/adr/0007). libopus also gives what WebCodecs lacks: packet-loss
 * concealment on demand.
 *
 * The only module that imports the library; everything else sees these two small interfaces.
 */
import { Application, createDecoder, createEncoder, loadLibopus } from 'libopus-wasm';
import { AUDIO_SAMPLE_RATE, AUDIO_MAX_FRAME_SAMPLES } from '../../protocol/audio-frame';

export interface OpusEncoderSettings {
  channels: 1 | 2;
  frameSamples: number;
  bitrate: number;
}

export interface OpusFrameEncoder {
  /** Encodes one frame: `interleaved` holds frameSamples × channels samples. Returns the packet. */
  encode(interleaved: Float32Array): Uint8Array;
  dispose(): void;
}

export interface OpusFrameDecoder {
  readonly channels: 1 | 2;
  /** Decodes a packet, or conceals a lost frame of `frameSamples` when `packet` is null. Interleaved. */
  decode(packet: Uint8Array | null, frameSamples: number): Float32Array;
  dispose(): void;
}

/** Whether Opus can run here (WebAssembly allowed and the module compiles). */
export async function opusAvailable(): Promise<boolean> {
  if (typeof WebAssembly !== 'object') return false;
  try {
    await loadLibopus();
    return true;
  } catch {
    return false; // e.g. a Content-Security-Policy without 'wasm-unsafe-eval'
  }
}

/**
 * Samples between a sample entering the encoder and leaving the decoder in the restricted-low-delay
 * (CELT-only) mode we use: its 2.5 ms look-ahead (OPUS_GET_LOOKAHEAD at 48 kHz). Recording moves
 * decoded stems back by it, so they line up with the sender's capture.
 */
export const OPUS_DELAY_SAMPLES = 120;

export async function createOpusEncoder(settings: OpusEncoderSettings): Promise<OpusFrameEncoder> {
  const encoder = await createEncoder({
    sampleRate: AUDIO_SAMPLE_RATE,
    channels: settings.channels,
    // CELT only: 2.5 ms look-ahead (instead of 6.5 ms) and frames as short as 2.5 ms.
    application: Application.RestrictedLowDelay,
    frameSize: settings.frameSamples,
    bitrate: settings.bitrate,
    complexity: 5,
    vbr: true,
  });
  return {
    encode: (interleaved) => encoder.encodeFloat(interleaved),
    dispose: () => encoder.free(), // libopus-wasm's free() ignores a second call
  };
}

export async function createOpusDecoder(channels: 1 | 2): Promise<OpusFrameDecoder> {
  const decoder = await createDecoder({
    sampleRate: AUDIO_SAMPLE_RATE,
    channels,
    maxFrameSize: AUDIO_MAX_FRAME_SAMPLES,
  });
  return {
    channels,
    decode: (packet, frameSamples) =>
      packet ? decoder.decodeFloat(packet) : decoder.decodePacketLossFloat(frameSamples),
    dispose: () => decoder.free(), // libopus-wasm's free() ignores a second call
  };
}
