import { describe, expect, it, vi } from 'vitest';
import { DETECTOR_PROCESSOR_NAME, type WorkletEvent } from '../protocol/audio-worklet.js';
import { DetectorEngine, registerDetectorProcessor } from './detector-processor.js';
import { stubWorkletScope } from './worklet-harness.sim.js';

describe('DetectorEngine', () => {
  it('reports each click once, at its onset frame', () => {
    const events: WorkletEvent[] = [];
    const engine = new DetectorEngine({ sampleRate: 48_000, post: (e) => void events.push(e) });
    const block = new Float32Array(128);
    expect(engine.process([[block]], 0)).toBe(true);
    block[40] = 0.9;
    block[41] = -0.9;
    engine.process([[block]], 128);
    engine.process([[block]], 256); // inside the hold-off: the same click
    expect(events).toEqual([{ type: 'impulse-detected', contextFrame: 168 }]);
  });

  it('survives a quantum without input', () => {
    const events: WorkletEvent[] = [];
    const engine = new DetectorEngine({ sampleRate: 48_000, post: (e) => void events.push(e) });
    expect(engine.process([[]], 0)).toBe(true);
    expect(engine.process([], 128)).toBe(true);
    expect(events).toEqual([]);
  });

  it('registers in a worklet scope and takes its options from processorOptions', () => {
    const { registered, posted } = stubWorkletScope(48_000, 1000);
    try {
      registerDetectorProcessor();
      const ctor = registered.get(DETECTOR_PROCESSOR_NAME)!;
      const node = new ctor({ processorOptions: { threshold: 0.2, holdoffMs: 1 } });
      // Clicks of 0.3 (under the default 0.5 threshold) 218 samples apart (inside the default 100 ms
      // hold-off, past the 1 ms given): both reported only if the options arrived.
      const block = new Float32Array(128);
      block[10] = 0.3;
      expect(node.process([[block]], [])).toBe(true);
      block[10] = 0;
      block[100] = 0.3;
      vi.stubGlobal('currentFrame', 1128);
      expect(node.process([[block]], [])).toBe(true);
      expect(posted).toEqual([
        { type: 'impulse-detected', contextFrame: 1010 },
        { type: 'impulse-detected', contextFrame: 1228 },
      ]);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
