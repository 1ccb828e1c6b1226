import { describe, expect, it } from 'vitest';
import type { WorkletEvent } from '../protocol/audio-worklet.js';
import { DetectorEngine, registerDetectorProcessor } from './detector-processor.js';

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

  it('registers nothing outside an AudioWorkletGlobalScope', () => {
    expect(() => registerDetectorProcessor()).not.toThrow();
  });
});
