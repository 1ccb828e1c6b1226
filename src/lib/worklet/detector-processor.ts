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
import { audioWorkletScope, type AudioBuses, type ProcessorBase } from './scope.js';

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
  const scope = audioWorkletScope();
  if (!scope) return;
  class DetectorProcessor extends scope.AudioWorkletProcessor {
    private readonly engine: DetectorEngine;
    constructor(options?: { processorOptions?: DetectorOptions }) {
      super();
      const port = this.port;
      this.engine = new DetectorEngine({
        sampleRate: scope!.sampleRate,
        post: (event) => port.postMessage(event),
        ...(options?.processorOptions ?? {}),
      });
    }
    process(inputs: AudioBuses): boolean {
      return this.engine.process(inputs, scope!.currentFrame);
    }
  }
  scope.registerProcessor(DETECTOR_PROCESSOR_NAME, DetectorProcessor as unknown as new () => ProcessorBase);
}

registerDetectorProcessor();
