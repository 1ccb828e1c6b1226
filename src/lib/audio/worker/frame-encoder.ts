/**
 * Turns captured frames into wire frames, once per frame for all peers: WebCodecs Opus (`lowdelay`,
 * frame duration = our frame size) or 16-bit PCM. Runs in the audio network Worker.
 */
import {
  AUDIO_FRAME_HEADER_BYTES,
  AUDIO_SAMPLE_RATE,
  AudioCodec,
  AudioFrameFlag,
  encodePcm16,
  isFrameSamples,
  pcm16PayloadBytes,
  writeAudioFrameHeader,
} from '../../protocol/audio-frame';
import type { SendSettings } from '../../protocol/audio-worker';

const US_PER_SAMPLE = 1e6 / AUDIO_SAMPLE_RATE;
/** Frames the encoder may hold before we skip input: each queued frame is a frame of added delay. */
const MAX_QUEUED_FRAMES = 2;

export interface FrameEncoderOptions {
  settings: SendSettings;
  /** Called with each finished wire frame (header + payload); the bytes are not reused. */
  onFrame(bytes: Uint8Array): void;
  onError(message: string): void;
}

export class FrameEncoder {
  readonly #options: FrameEncoderOptions;
  readonly #settings: SendSettings;
  #opus: AudioEncoder | null = null;
  #seq = 0;
  #first = true;
  /** Interleaving buffer for AudioData input (planar layout: channel after channel). */
  readonly #planar = new Float32Array(480 * 2);
  encodeErrors = 0;
  /** Frames dropped because the encoder had fallen behind. */
  skippedFrames = 0;

  constructor(options: FrameEncoderOptions) {
    this.#options = options;
    this.#settings = options.settings;
    if (!isFrameSamples(options.settings.frameSamples))
      throw new RangeError('frame size must be 120, 240 or 480');
    if (options.settings.codec === 'opus') this.#opus = this.#createOpus();
  }

  get codec(): SendSettings['codec'] {
    return this.#opus ? 'opus' : 'pcm';
  }

  /** Opus support differs by browser; the Worker asks before choosing. */
  static async opusSupported(settings: SendSettings): Promise<boolean> {
    if (typeof AudioEncoder === 'undefined' || typeof AudioDecoder === 'undefined') return false;
    try {
      const support = await AudioEncoder.isConfigSupported(opusConfig(settings));
      return support.supported === true;
    } catch {
      return false;
    }
  }

  /** Encodes one frame: `planes[c]` holds `frameSamples` samples; `senderTime` is its first sample's index. */
  encode(planes: readonly Float32Array[], senderTime: number): void {
    const { channels, frameSamples } = this.#settings;
    if (!this.#opus) {
      const bytes = new Uint8Array(AUDIO_FRAME_HEADER_BYTES + pcm16PayloadBytes(channels, frameSamples));
      this.#writeHeader(bytes, AudioCodec.Pcm16, senderTime);
      encodePcm16(planes, channels, frameSamples, bytes, AUDIO_FRAME_HEADER_BYTES);
      this.#options.onFrame(bytes);
      return;
    }
    if (this.#opus.state !== 'configured') return;
    // A backlog in the encoder is latency: drop the frame (the receivers conceal it) rather than queue it.
    if (this.#opus.encodeQueueSize > MAX_QUEUED_FRAMES) {
      this.skippedFrames++;
      return;
    }
    for (let c = 0; c < channels; c++)
      this.#planar.set(planes[c]!.subarray(0, frameSamples), c * frameSamples);
    const data = new AudioData({
      format: 'f32-planar',
      sampleRate: AUDIO_SAMPLE_RATE,
      numberOfFrames: frameSamples,
      numberOfChannels: channels,
      timestamp: Math.round((senderTime >>> 0) * US_PER_SAMPLE),
      data: this.#planar.subarray(0, frameSamples * channels),
    });
    try {
      this.#opus.encode(data);
    } finally {
      data.close();
    }
  }

  dispose(): void {
    const opus = this.#opus;
    this.#opus = null;
    if (opus && opus.state !== 'closed') opus.close();
  }

  #createOpus(): AudioEncoder {
    const encoder = new AudioEncoder({
      output: (chunk) => {
        const bytes = new Uint8Array(AUDIO_FRAME_HEADER_BYTES + chunk.byteLength);
        const senderTime = Math.round(chunk.timestamp / US_PER_SAMPLE) >>> 0;
        this.#writeHeader(bytes, AudioCodec.Opus, senderTime);
        chunk.copyTo(bytes.subarray(AUDIO_FRAME_HEADER_BYTES));
        this.#options.onFrame(bytes);
      },
      error: (error) => {
        this.encodeErrors++;
        this.#options.onError(`Opus encoder failed: ${error.message}`);
      },
    });
    encoder.configure(opusConfig(this.#settings));
    return encoder;
  }

  #writeHeader(bytes: Uint8Array, codec: AudioCodec, senderTime: number): void {
    writeAudioFrameHeader(bytes, {
      codec,
      channels: this.#settings.channels,
      flags: this.#first ? AudioFrameFlag.StreamStart : 0,
      seq: this.#seq,
      senderTime,
      frameSamples: this.#settings.frameSamples as 120 | 240 | 480,
    });
    this.#first = false;
    this.#seq = (this.#seq + 1) >>> 0;
  }
}

function opusConfig(settings: SendSettings): AudioEncoderConfig {
  return {
    codec: 'opus',
    sampleRate: AUDIO_SAMPLE_RATE,
    numberOfChannels: settings.channels,
    bitrate: settings.bitrate,
    opus: {
      // CELT-only low-delay mode: 2.5 ms lookahead instead of 6.5 ms, and frames as small as 2.5 ms.
      application: 'lowdelay',
      frameDuration: Math.round(settings.frameSamples * US_PER_SAMPLE),
      complexity: 5,
      useinbandfec: settings.fec,
      packetlossperc: settings.fec ? 10 : 0,
    },
  } as AudioEncoderConfig;
}
