/**
 * What the capture and playback engines share at their port: the gate every port message passes, and
 * the throttled status copies of the no-SharedArrayBuffer fallback.
 */
import type { StatusBlock } from '../protocol/audio-layout.js';
import {
  AUDIO_WORKLET_VERSION,
  STATUS_POST_INTERVAL_MS,
  WorkletErrorCode,
  asWorkletCommand,
  type WorkletCommand,
  type WorkletEvent,
} from '../protocol/audio-worklet.js';

export type PostEvent = (event: WorkletEvent, transfer?: unknown[]) => void;

/**
 * Parses a port message. A malformed one, an `init` of another protocol version, or anything but
 * `init` before `init`, is answered with an error event and yields null; never throws.
 */
export function acceptCommand(data: unknown, initialised: boolean, post: PostEvent): WorkletCommand | null {
  const m = asWorkletCommand(data);
  if (!m) {
    post({ type: 'error', code: WorkletErrorCode.BadMessage, message: 'unrecognised message' });
    return null;
  }
  if (m.type === 'init' && m.version !== AUDIO_WORKLET_VERSION) {
    post({
      type: 'error',
      code: WorkletErrorCode.VersionMismatch,
      message: `worklet speaks v${AUDIO_WORKLET_VERSION}, main thread v${m.version}`,
    });
    return null;
  }
  if (m.type !== 'init' && !initialised) {
    post({ type: 'error', code: WorkletErrorCode.NotInitialised, message: `${m.type} before init` });
    return null;
  }
  return m;
}

/** Fallback only: a copy of the status block every STATUS_POST_INTERVAL_MS of audio (allocates, 20×/s). */
export class FallbackStatusPoster {
  readonly #interval: number;
  #countdown = 0;

  constructor(
    sampleRate: number,
    private readonly post: PostEvent,
  ) {
    this.#interval = Math.round((STATUS_POST_INTERVAL_MS * sampleRate) / 1000);
  }

  /** Call once per render quantum of `n` frames. */
  tick(n: number, status: StatusBlock): void {
    this.#countdown -= n;
    if (this.#countdown > 0) return;
    this.#countdown = this.#interval;
    const ints = status.ints.slice();
    const floats = status.floats.slice();
    this.post({ type: 'status', ints, floats }, [ints.buffer, floats.buffer]);
  }
}
