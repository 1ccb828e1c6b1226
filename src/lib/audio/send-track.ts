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

/**
 * The processed send signal as a MediaStreamTrack: the capture node's send output through a
 * MediaStreamAudioDestinationNode, made on first use so a player who never needs it pays nothing.
 * Whether to send it is the engine's call (`sendsProcessed`), from state the engine owns.
 */
export class SendTrack {
  readonly #context: AudioContext;
  readonly #capture: AudioNode;
  readonly #output: number;
  readonly #channels: 1 | 2;
  #destination: MediaStreamAudioDestinationNode | null = null;
  #disposed = false;

  constructor(options: SendTrackOptions) {
    this.#context = options.context;
    this.#capture = options.capture;
    this.#output = options.output;
    this.#channels = options.channels;
  }

  /** The processed track; null once disposed. */
  track(): MediaStreamTrack | null {
    if (this.#disposed) return null;
    if (!this.#destination) {
      this.#destination = new MediaStreamAudioDestinationNode(this.#context, {
        channelCount: this.#channels,
        channelCountMode: 'explicit',
      });
      this.#capture.connect(this.#destination, this.#output);
    }
    return this.#destination.stream.getAudioTracks()[0] ?? null;
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
