import { describe, expect, it } from 'vitest';
import { allocateAudioMemory, STATUS_BYTES, StatusBlock } from '../protocol/audio-layout.js';
import { AUDIO_WORKLET_VERSION, type WorkletEvent } from '../protocol/audio-worklet.js';
import { acceptCommand, FallbackStatusPoster } from './engine-port.js';

function recorder() {
  const events: WorkletEvent[] = [];
  return { events, post: (event: WorkletEvent) => void events.push(event) };
}

describe('acceptCommand', () => {
  it('answers malformed, wrong-version and too-early messages with typed errors', () => {
    const { events, post } = recorder();
    expect(acceptCommand('junk', true, post)).toBeNull();
    const init = { type: 'init', version: AUDIO_WORKLET_VERSION + 1, fallback: true, frameSamples: 120 };
    expect(acceptCommand(init, false, post)).toBeNull();
    expect(acceptCommand({ type: 'remove-peer', slot: 1 }, false, post)).toBeNull();
    expect(events.map((e) => (e.type === 'error' ? e.code : e.type))).toEqual([
      'bad-message',
      'version-mismatch',
      'not-initialised',
    ]);
  });

  it('lets init through first and everything valid after it', () => {
    const { events, post } = recorder();
    const init = { type: 'init', version: AUDIO_WORKLET_VERSION, fallback: true, frameSamples: 120 };
    expect(acceptCommand(init, false, post)).toMatchObject({ type: 'init' });
    expect(acceptCommand({ type: 'remove-peer', slot: 1 }, true, post)).toMatchObject({ slot: 1 });
    expect(events).toEqual([]);
  });
});

describe('FallbackStatusPoster', () => {
  it('posts a copy of the status block every 50 ms of audio, not every quantum', () => {
    const { events, post } = recorder();
    const status = new StatusBlock(allocateAudioMemory(STATUS_BYTES, false));
    const poster = new FallbackStatusPoster(48_000, post);
    for (let block = 0; block < 75; block++) poster.tick(128, status); // 200 ms of audio
    expect(events).toHaveLength(4); // at 0, 50, 100 and 150 ms
    expect(events[0]).toMatchObject({ type: 'status' });
  });
});
