/**
 * Turns captured frames into wire frames, once per frame for all peers: Opus (libopus in WebAssembly,
 * low-delay mode, frame duration = our frame size, see `opus-codec.ts`) or 16-bit PCM. With `fec` on,
 * each Opus frame also carries the previous frame's packet (the wire format's redundancy, see
 * `audio-frame.ts`). Runs in the audio network Worker; encoding is synchronous.
 */
import {
  AUDIO_FRAME_HEADER_BYTES,
  AudioCodec,
  AudioFrameFlag,
  encodePcm16,
  isFrameSamples,
  pcm16PayloadBytes,
  writeAudioFrameHeader,
} from '../../protocol/audio-frame';
import type { SendSettings } from '../../protocol/audio-worker';
import type { OpusFrameEncoder } from './opus-codec';

/** A redundant copy is skipped when the previous packet is this big (it would double a big frame). */
const MAX_REDUNDANT_BYTES = 600;

export interface FrameEncoderOptions {
  settings: SendSettings;
  /** The Opus encoder for `settings` (required when settings.codec is 'opus'); owned from now on. */
  opus?: OpusFrameEncoder | null;
  /** Called with each finished wire frame (header + payload); the bytes are not reused. */
  onFrame(bytes: Uint8Array): void;
  onError(message: string): void;
}

export class FrameEncoder {
  readonly #options: FrameEncoderOptions;
  readonly #settings: SendSettings;
  #opus: OpusFrameEncoder | null;
  #disposed = false;
  #seq = 0;
  #first = true;
  /** The previous Opus packet and the sender time that would follow it, for redundancy. */
  #previous: Uint8Array | null = null;
  #previousEnd = 0;
  /** Interleaving buffer for the Opus encoder. */
  readonly #interleaved = new Float32Array(480 * 2);
  /** Frames dropped because the encoder failed on them. */
  skippedFrames = 0;

  constructor(options: FrameEncoderOptions) {
    this.#options = options;
    this.#settings = options.settings;
    if (!isFrameSamples(options.settings.frameSamples))
      throw new RangeError('frame size must be 120, 240 or 480');
    this.#opus = options.settings.codec === 'opus' ? (options.opus ?? null) : null;
    if (options.settings.codec === 'opus' && !this.#opus) throw new Error('an Opus encoder is required');
  }

  get codec(): SendSettings['codec'] {
    return this.#opus ? 'opus' : 'pcm';
  }

  /** Encodes one frame: `planes[c]` holds `frameSamples` samples; `senderTime` is its first sample's index. */
  encode(planes: readonly Float32Array[], senderTime: number): void {
    if (this.#disposed) return;
    const { channels, frameSamples } = this.#settings;
    if (!this.#opus) {
      const bytes = new Uint8Array(AUDIO_FRAME_HEADER_BYTES + pcm16PayloadBytes(channels, frameSamples));
      this.#writeHeader(bytes, AudioCodec.Pcm16, senderTime, 0);
      encodePcm16(planes, channels, frameSamples, bytes, AUDIO_FRAME_HEADER_BYTES);
      this.#options.onFrame(bytes);
      return;
    }
    const inter = this.#interleaved;
    for (let i = 0; i < frameSamples; i++)
      for (let c = 0; c < channels; c++) inter[i * channels + c] = planes[c]![i]!;
    let packet: Uint8Array;
    try {
      packet = this.#opus.encode(inter.subarray(0, frameSamples * channels));
    } catch (error) {
      // The receivers conceal the missing frame; a broken encoder is reported once, not 400 times a second.
      this.skippedFrames++;
      this.#previous = null;
      if (this.skippedFrames === 1)
        this.#options.onError(
          `Opus encoder failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      return;
    }
    const previous = this.#previous;
    const copy =
      this.#settings.fec &&
      previous &&
      previous.length <= MAX_REDUNDANT_BYTES &&
      this.#previousEnd === senderTime >>> 0
        ? previous
        : null;
    const redundantBytes = copy?.length ?? 0;
    const bytes = new Uint8Array(AUDIO_FRAME_HEADER_BYTES + packet.length + redundantBytes);
    this.#writeHeader(bytes, AudioCodec.Opus, senderTime, redundantBytes);
    bytes.set(packet, AUDIO_FRAME_HEADER_BYTES);
    if (copy) bytes.set(copy, AUDIO_FRAME_HEADER_BYTES + packet.length);
    this.#previous = packet;
    this.#previousEnd = (senderTime + frameSamples) >>> 0;
    this.#options.onFrame(bytes);
  }

  dispose(): void {
    this.#disposed = true;
    this.#opus?.dispose();
    this.#opus = null;
    this.#previous = null;
  }

  #writeHeader(bytes: Uint8Array, codec: AudioCodec, senderTime: number, redundantBytes: number): void {
    writeAudioFrameHeader(bytes, {
      codec,
      channels: this.#settings.channels,
      flags: (this.#first ? AudioFrameFlag.StreamStart : 0) | (redundantBytes ? AudioFrameFlag.Redundant : 0),
      seq: this.#seq,
      senderTime,
      frameSamples: this.#settings.frameSamples as 120 | 240 | 480,
      redundantBytes,
    });
    this.#first = false;
    this.#seq = (this.#seq + 1) >>> 0;
  }
}
