/**
 * Bounded waits for the parts of starting audio that hang rather than fail. With no output device (or
 * one another app holds exclusively) Chromium's AudioContext never reaches "running": resume() neither
 * resolves nor rejects, and worklet modules may never finish loading. Without a bound the studio page
 * showed "Starting…" forever; with one, the caller gets an AudioStartError it can show and dispose after.
 */

/** How long the context and its worklets get before we say audio cannot start. */
export const AUDIO_START_TIMEOUT_MS = 5000;

export const NO_OUTPUT_MESSAGE =
  'Your browser could not start audio: no output device answered. Check that speakers or headphones are ' +
  'connected and not used exclusively by another app, then try again.';

/**
 * No AudioWorklet: a browser without it, or any browser on a page that is not a secure context (plain
 * http:// on another machine's address), where it is not exposed. Our audio runs only in worklets.
 */
export const NO_WORKLET_MESSAGE =
  'This browser cannot run audio here: it has no AudioWorklet. Open the studio over https:// (or on ' +
  'localhost) in a current Chrome, Edge, Firefox or Safari.';

export class AudioStartError extends Error {
  constructor(
    /** Which wait ran out: the worklet modules, or the context reaching "running". */
    readonly stage: 'worklets' | 'running',
  ) {
    super(NO_OUTPUT_MESSAGE);
    this.name = 'AudioStartError';
  }
}

/** The part of an AudioContext these waits use (a stand-in in unit tests). */
export interface StartableContext {
  readonly state: AudioContextState | 'interrupted';
  resume(): Promise<void>;
  readonly audioWorklet?: { addModule(url: string): Promise<void> } | undefined;
  addEventListener(type: 'statechange', listener: () => void): void;
  removeEventListener(type: 'statechange', listener: () => void): void;
}

/** Settles like `work`, or rejects with AudioStartError(stage) after `ms`; the timer never outlives it. */
function within<T>(work: Promise<T>, ms: number, stage: AudioStartError['stage']): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AudioStartError(stage)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Loads the worklet modules, all within `ms`; rejects with NO_WORKLET_MESSAGE where there is no AudioWorklet. */
export function loadWorklets(context: StartableContext, urls: string[], ms = AUDIO_START_TIMEOUT_MS) {
  const worklet = context.audioWorklet;
  if (!worklet) return Promise.reject(new Error(NO_WORKLET_MESSAGE));
  return within(Promise.all(urls.map((url) => worklet.addModule(url))), ms, 'worklets');
}

/**
 * Resolves once the context is "running" (resuming it if needed), or rejects with AudioStartError after
 * `ms`. It watches the state itself: a resume() that never settles must not be what we wait on.
 */
export function whenRunning(context: StartableContext, ms = AUDIO_START_TIMEOUT_MS): Promise<void> {
  if (context.state === 'running') return Promise.resolve();
  let onChange = () => {};
  const running = new Promise<void>((resolve, reject) => {
    onChange = () => {
      if (context.state === 'running') resolve();
    };
    context.addEventListener('statechange', onChange);
    // A rejected resume() is a real failure (say, a closed context): pass it on as it is.
    context.resume().then(onChange, reject);
  });
  return within(running, ms, 'running').finally(() => context.removeEventListener('statechange', onChange));
}
