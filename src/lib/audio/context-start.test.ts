import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AUDIO_START_TIMEOUT_MS,
  AudioStartError,
  loadWorklets,
  NO_OUTPUT_MESSAGE,
  NO_WORKLET_MESSAGE,
  whenRunning,
  type StartableContext,
} from './context-start';

/** A context whose resume() and addModule() settle only if the test says so (by default: never). */
class StuckContext implements StartableContext {
  state: AudioContextState = 'suspended';
  listeners = new Set<() => void>();
  loaded: string[] = [];
  resume = vi.fn(() => new Promise<void>(() => {}));
  audioWorklet = {
    addModule: (url: string) => {
      this.loaded.push(url);
      return this.modules;
    },
  };
  modules: Promise<void> = new Promise<void>(() => {});
  addEventListener(_: 'statechange', listener: () => void) {
    this.listeners.add(listener);
  }
  removeEventListener(_: 'statechange', listener: () => void) {
    this.listeners.delete(listener);
  }
  /** The browser moves the context to `state` and says so. */
  become(state: AudioContextState) {
    this.state = state;
    for (const listener of this.listeners) listener();
  }
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('whenRunning', () => {
  it('gives up with the no-output message when the context never resumes', async () => {
    const context = new StuckContext();
    const waiting = whenRunning(context);
    const outcome = waiting.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(AUDIO_START_TIMEOUT_MS - 1);
    expect(await Promise.race([outcome, 'pending'])).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(AudioStartError);
    expect((error as AudioStartError).stage).toBe('running');
    expect((error as Error).message).toBe(NO_OUTPUT_MESSAGE);
    expect(context.resume).toHaveBeenCalledOnce();
    // Nothing left listening to a context the caller is about to close.
    expect(context.listeners.size).toBe(0);
  });

  it('resolves when the state turns running even though resume() never settles', async () => {
    const context = new StuckContext();
    const waiting = whenRunning(context);
    context.become('running');
    await expect(waiting).resolves.toBeUndefined();
    expect(context.listeners.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not wait on a context that already runs', async () => {
    const context = new StuckContext();
    context.state = 'running';
    await expect(whenRunning(context)).resolves.toBeUndefined();
    expect(context.resume).not.toHaveBeenCalled();
  });

  it('passes on a resume() that fails', async () => {
    const context = new StuckContext();
    context.resume.mockImplementation(() => Promise.reject(new DOMException('closed', 'InvalidStateError')));
    await expect(whenRunning(context)).rejects.toThrow('closed');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('loadWorklets', () => {
  it('gives up when the modules never load', async () => {
    const context = new StuckContext();
    const loading = loadWorklets(context, ['a.js', 'b.js']).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(AUDIO_START_TIMEOUT_MS);
    const error = await loading;
    expect(error).toBeInstanceOf(AudioStartError);
    expect((error as AudioStartError).stage).toBe('worklets');
    expect(context.loaded).toEqual(['a.js', 'b.js']);
  });

  it('resolves when they load, and leaves no timer behind', async () => {
    const context = new StuckContext();
    context.modules = Promise.resolve();
    await expect(loadWorklets(context, ['a.js'])).resolves.toEqual([undefined]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('says plainly when there is no AudioWorklet (an old browser, or plain http:// on a LAN address)', async () => {
    const bare: StartableContext = Object.assign(new StuckContext(), { audioWorklet: undefined });
    await expect(loadWorklets(bare, ['a.js'])).rejects.toThrow(NO_WORKLET_MESSAGE);
    expect(vi.getTimerCount()).toBe(0);
  });
});
