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

/** What a registered processor drives: an engine with a port handler and a per-block `process`. */
export interface HostedEngine {
  handle?(data: unknown): void;
  process(inputs: AudioBuses, outputs: AudioBuses, currentFrame: number): boolean;
}

/**
 * Registers an AudioWorkletProcessor named `name` whose work is done by the engine `create` makes
 * (so the engine stays a plain class that Node tests drive). A no-op outside a worklet scope.
 */
export function registerEngineProcessor<Options>(
  name: string,
  create: (host: {
    sampleRate: number;
    post: (event: unknown, transfer?: unknown[]) => void;
    processorOptions: Options | undefined;
  }) => HostedEngine,
): void {
  const scope = audioWorkletScope();
  if (!scope) return;
  class HostedProcessor extends scope.AudioWorkletProcessor {
    private readonly engine: HostedEngine;
    constructor(options?: { processorOptions?: Options }) {
      super();
      const port = this.port;
      this.engine = create({
        sampleRate: scope!.sampleRate,
        post: (event, transfer) => port.postMessage(event, transfer),
        processorOptions: options?.processorOptions,
      });
      const engine = this.engine;
      if (engine.handle) port.onmessage = (e) => engine.handle!(e.data);
    }
    process(inputs: AudioBuses, outputs: AudioBuses): boolean {
      return this.engine.process(inputs, outputs, scope!.currentFrame);
    }
  }
  scope.registerProcessor(name, HostedProcessor as unknown as new () => ProcessorBase);
}
