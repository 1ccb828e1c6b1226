/**
 * One remote player's WebRTC audio track (the fallback path) in our AudioContext:
 * track → MediaStreamAudioSourceNode → gain → stereo panner → destination, with a pre-fader meter
 * (AnalyserNode) and, for benchmarks, a `bandmesh-detector` worklet node reporting impulse onsets.
 *
 * Chromium renders a remote WebRTC track into Web Audio only while a media element also consumes it,
 * so a muted, detached `<audio>` element holds the stream. dispose() releases all of it, once.
 */
import { DETECTOR_PROCESSOR_NAME, type WorkletEvent } from '../protocol/audio-worklet';

export interface TrackMix {
  /** Linear gain, master included; 0 when muted or silenced by someone else's solo. */
  gain: number;
  /** −1 (left) … 1 (right). */
  pan: number;
}

export interface TrackReceiverOptions {
  context: AudioContext;
  track: MediaStreamTrack;
  /** Where it plays (the engine's mix bus); the context's destination by default. */
  output?: AudioNode;
  /** Creates the impulse detector (benchmarks only). */
  detect?: { onImpulse(contextFrame: number): void };
}

/** Gain changes glide over this time constant (s), like the playback worklet's smoothing. */
const SMOOTHING_S = 0.01;

export class TrackReceiver {
  readonly track: MediaStreamTrack;
  readonly #context: AudioContext;
  readonly #element: HTMLAudioElement;
  readonly #source: MediaStreamAudioSourceNode;
  readonly #gain: GainNode;
  readonly #panner: StereoPannerNode;
  readonly #analyser: AnalyserNode;
  readonly #detector: AudioWorkletNode | null;
  readonly #samples: Float32Array<ArrayBuffer>;
  #disposed = false;

  constructor(options: TrackReceiverOptions) {
    const { context, track } = options;
    this.track = track;
    this.#context = context;
    const stream = new MediaStream([track]);
    this.#element = new Audio();
    this.#element.muted = true;
    this.#element.autoplay = true;
    this.#element.srcObject = stream;
    // Autoplay of a muted element is always allowed; play() makes it explicit for a detached element.
    this.#element.play().catch((error: unknown) => console.warn('remote audio element', error));
    this.#source = context.createMediaStreamSource(stream);
    this.#gain = new GainNode(context, { gain: 0 });
    this.#panner = new StereoPannerNode(context, { pan: 0 });
    this.#analyser = new AnalyserNode(context, { fftSize: 1024 });
    this.#samples = new Float32Array(this.#analyser.fftSize);
    this.#source
      .connect(this.#gain)
      .connect(this.#panner)
      .connect(options.output ?? context.destination);
    this.#source.connect(this.#analyser);
    this.#detector = options.detect
      ? new AudioWorkletNode(context, DETECTOR_PROCESSOR_NAME, { numberOfInputs: 1, numberOfOutputs: 0 })
      : null;
    if (this.#detector && options.detect) {
      const { onImpulse } = options.detect;
      this.#detector.port.onmessage = ({ data }: MessageEvent<WorkletEvent>) => {
        if (data.type === 'impulse-detected') onImpulse(data.contextFrame);
      };
      this.#source.connect(this.#detector);
    }
  }

  setMix(mix: TrackMix): void {
    if (this.#disposed) return;
    const now = this.#context.currentTime;
    this.#gain.gain.setTargetAtTime(mix.gain, now, SMOOTHING_S);
    this.#panner.pan.setTargetAtTime(Math.max(-1, Math.min(1, mix.pan)), now, SMOOTHING_S);
  }

  /** Peak and RMS of the last ~20 ms as received (before our gain). */
  level(): { peak: number; rms: number } {
    if (this.#disposed) return { peak: 0, rms: 0 };
    this.#analyser.getFloatTimeDomainData(this.#samples);
    let peak = 0;
    let sum = 0;
    for (const x of this.#samples) {
      peak = Math.max(peak, Math.abs(x));
      sum += x * x;
    }
    return { peak, rms: Math.sqrt(sum / this.#samples.length) };
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#source.disconnect();
    this.#gain.disconnect();
    this.#panner.disconnect();
    this.#analyser.disconnect();
    if (this.#detector) {
      this.#detector.port.onmessage = null;
      this.#detector.port.close();
      this.#detector.disconnect();
    }
    this.#element.pause();
    this.#element.srcObject = null;
    this.#element.remove();
  }
}
