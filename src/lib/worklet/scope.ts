/**
 * The few AudioWorkletGlobalScope names the processors use, typed locally and reached through
 * `globalThis`, so this code type-checks both under the worklet tsconfig (no DOM) and under the app's
 * DOM lib without declaring conflicting globals, and so Node tests can import the modules.
 */

/** The part of a MessagePort the processors use. */
export interface PortLike {
  postMessage(message: unknown, transfer?: unknown[]): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}

export interface ProcessorBase {
  readonly port: PortLike;
}

export interface AudioWorkletScope {
  sampleRate: number;
  currentFrame: number;
  currentTime: number;
  AudioWorkletProcessor: new () => ProcessorBase;
  registerProcessor(name: string, processorCtor: new () => ProcessorBase): void;
}

/** The worklet scope, or null outside an AudioWorkletGlobalScope (Node tests, the main thread). */
export function audioWorkletScope(): AudioWorkletScope | null {
  const g = globalThis as unknown as Partial<AudioWorkletScope>;
  return typeof g.registerProcessor === 'function' && typeof g.AudioWorkletProcessor === 'function'
    ? (g as AudioWorkletScope)
    : null;
}

/** `process()`'s arguments: inputs[input][channel], outputs[output][channel], 128 samples each. */
export type AudioBuses = Float32Array[][];
