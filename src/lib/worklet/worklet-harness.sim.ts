/** Test support (not shipped): engines set up as the app runs them, and a stand-in worklet scope. */
import { vi } from 'vitest';
import {
  PACKET_RINGS_BYTES,
  PARAM_BYTES,
  STATUS_BYTES,
  ParamBlock,
  StatusBlock,
} from '../protocol/audio-layout.js';
import { AUDIO_WORKLET_VERSION } from '../protocol/audio-worklet.js';
import { PlaybackEngine, type EngineOptions } from './playback-processor.js';

/**
 * A PlaybackEngine initialised in shared-memory mode, with the buffers a test writes packets into and
 * reads status and params from.
 */
export function sharedPlaybackEngine(post: EngineOptions['post'] = () => {}, sampleRate = 48000) {
  const engine = new PlaybackEngine({ sampleRate, post });
  const buffers = {
    packets: new SharedArrayBuffer(PACKET_RINGS_BYTES),
    status: new SharedArrayBuffer(STATUS_BYTES),
    params: new SharedArrayBuffer(PARAM_BYTES),
  };
  const params = new ParamBlock(buffers.params);
  params.reset();
  engine.handle({
    type: 'init',
    version: AUDIO_WORKLET_VERSION,
    fallback: false,
    buffers,
    frameSamples: 120,
  });
  return { engine, buffers, params, status: new StatusBlock(buffers.status) };
}

/** What a processor class registered in the stand-in scope looks like to a test. */
export type RegisteredProcessor = new (options?: { processorOptions?: unknown }) => {
  port: { onmessage: ((e: { data: unknown }) => void) | null };
  process: (inputs: Float32Array[][], outputs: Float32Array[][]) => boolean;
};

/**
 * Stubs the AudioWorkletGlobalScope names `scope.ts` looks for, so `register*Processor()` registers for
 * real: `registered` maps names to the classes, `posted` collects every port message. Undo with
 * `vi.unstubAllGlobals()`.
 */
export function stubWorkletScope(sampleRate = 48000, currentFrame = 0) {
  const registered = new Map<string, RegisteredProcessor>();
  const posted: unknown[] = [];
  vi.stubGlobal('sampleRate', sampleRate);
  vi.stubGlobal('currentFrame', currentFrame);
  vi.stubGlobal(
    'AudioWorkletProcessor',
    class {
      port = { postMessage: (m: unknown) => void posted.push(m), onmessage: null };
    },
  );
  vi.stubGlobal(
    'registerProcessor',
    (name: string, ctor: RegisteredProcessor) => void registered.set(name, ctor),
  );
  return { registered, posted };
}
