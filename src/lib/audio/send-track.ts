/**
 * What the fallback path (a WebRTC audio track per pair) sends: the microphone's own track while there
 * is nothing to apply to it, or the capture worklet's send output (input gain, gate, EQ, compressor:
 * what the data path frames) once there is. The raw track skips a Web Audio → MediaStream hop, so the
 * default stays the lowest-latency one; a player who turns an effect on or their gain away from 0 dB
 * is heard as they hear themselves.
 */
import type { EffectSettings } from '../protocol/effects';

/** True when the track path must carry the processed signal rather than the microphone's track. */
export function sendsProcessed(effects: EffectSettings | null, inputGainDb: number): boolean {
  if (inputGainDb !== 0) return true;
  if (!effects) return false;
  return effects.gate.on || effects.eq.on || effects.compressor.on;
}

export interface SendTrackOptions {
  context: AudioContext;
  /** The capture worklet node; its output `output` carries the send signal. */
  capture: AudioNode;
  output: number;
  channels: 1 | 2;
}

export class SendTrack {
  readonly #context: AudioContext;
  readonly #capture: AudioNode;
  readonly #output: number;
  readonly #channels: 1 | 2;
  /** Made the first time the processed signal is wanted: until then the default path costs nothing. */
  #destination: MediaStreamAudioDestinationNode | null = null;
  #effects: EffectSettings | null = null;
  #gainDb = 0;
  #disposed = false;

  constructor(options: SendTrackOptions) {
    this.#context = options.context;
    this.#capture = options.capture;
    this.#output = options.output;
    this.#channels = options.channels;
  }

  /** Records a change; returns true when the track to send changed because of it. */
  update(change: { effects?: EffectSettings; inputGainDb?: number }): boolean {
    const before = this.processed;
    if (change.effects) this.#effects = change.effects;
    if (change.inputGainDb !== undefined) this.#gainDb = change.inputGainDb;
    return before !== this.processed;
  }

  get processed(): boolean {
    return sendsProcessed(this.#effects, this.#gainDb);
  }

  /** The track to send, given the microphone's own one. */
  choose(microphone: MediaStreamTrack | null): MediaStreamTrack | null {
    if (this.#disposed || !this.processed) return microphone;
    if (!this.#destination) {
      this.#destination = new MediaStreamAudioDestinationNode(this.#context, {
        channelCount: this.#channels,
        channelCountMode: 'explicit',
      });
      this.#capture.connect(this.#destination, this.#output);
    }
    return this.#destination.stream.getAudioTracks()[0] ?? microphone;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const destination = this.#destination;
    if (!destination) return;
    try {
      this.#capture.disconnect(destination, this.#output);
    } catch {
      // Already disconnected: the capture node was disposed first.
    }
    for (const track of destination.stream.getTracks()) track.stop();
  }
}
