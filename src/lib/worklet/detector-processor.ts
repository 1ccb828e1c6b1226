/**
 * `bandmesh-detector`: the latency benchmark's ear on a remote WebRTC audio track (the fallback path,
 * whose audio never passes our playback worklet). It scans channel 0 for impulse onsets and posts one
 * `impulse-detected` per click (≤ a few per second); `process()` allocates nothing otherwise.
 */
import {
  DETECTOR_PROCESSOR_NAME,
  type DetectorOptions,
  type WorkletEvent,
} from '../protocol/audio-worklet.js';
import { ImpulseDetector } from './dsp/impulse.js';
import { registerEngineProcessor, type AudioBuses } from './scope.js';

export class DetectorEngine {
  private readonly detector: ImpulseDetector;
  private readonly post: (event: WorkletEvent) => void;

  constructor(options: { sampleRate: number; post: (event: WorkletEvent) => void } & DetectorOptions) {
    this.post = options.post;
    this.detector = new ImpulseDetector({
      ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
      holdoffSamples: Math.round(((options.holdoffMs ?? 100) * options.sampleRate) / 1000),
    });
  }

  /** Scans one render quantum; `currentFrame` is the context frame of its first sample. */
  process(inputs: AudioBuses, currentFrame: number): boolean {
    const samples = inputs[0]?.[0];
    if (samples) {
      const idx = this.detector.process(samples, samples.length);
      if (idx >= 0) this.post({ type: 'impulse-detected', contextFrame: currentFrame + idx });
    }
    return true;
  }
}

/** Registers `bandmesh-detector` when loaded in an AudioWorkletGlobalScope; a no-op elsewhere. */
export function registerDetectorProcessor(): void {
  registerEngineProcessor<DetectorOptions>(
    DETECTOR_PROCESSOR_NAME,
    ({ sampleRate, post, processorOptions }) => {
      const engine = new DetectorEngine({ sampleRate, post, ...(processorOptions ?? {}) });
      return { process: (inputs, _outputs, currentFrame) => engine.process(inputs, currentFrame) };
    },
  );
}

registerDetectorProcessor();
