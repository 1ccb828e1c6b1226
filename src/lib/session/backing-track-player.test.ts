import { describe, expect, it } from 'vitest';
import type { SourceStats } from '../protocol/audio-worker';
import type { BackingTransport } from '../sync/backing-track-doc';
import { Emitter } from '../util/emitter';
import { BackingTrackPlayer, type BackingEngine } from './backing-track-player';
import { SharedClock } from './shared-clock';

/** An engine whose context frame 0 was heard at epoch ms `zeroMs`, at 48 kHz; decoding yields `frames`. */
function fakeEngine(zeroMs: number, frames = 48_000) {
  const loads: Array<{ id: number; channels: Float32Array[] }> = [];
  const sent: Array<Parameters<BackingEngine['setBackingTrack']>[0]> = [];
  const events = new Emitter<{ 'backing-started': { id: number; fromFrame: number; epochMs: number } }>();
  const decoded: ArrayBuffer[] = [];
  const engine: BackingEngine = {
    context: {
      sampleRate: 48_000,
      decodeAudioData: (data) => {
        decoded.push(data);
        const channel = new Float32Array(frames).fill(0.5);
        return Promise.resolve({
          length: frames,
          sampleRate: 48_000,
          numberOfChannels: 2,
          copyFromChannel: (dest: Float32Array) => dest.set(channel),
        } as unknown as AudioBuffer);
      },
    },
    playedFrameAt: (ms) => (ms - zeroMs) * 48,
    loadBackingTrack: (id, channels) => loads.push({ id, channels }),
    setBackingTrack: (m) => sent.push(m),
    backingLevel: () => ({ peak: 0, rms: 0 }),
    events,
  };
  return { engine, loads, sent, events, decoded };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('BackingTrackPlayer', () => {
  it('downloads and decodes the named track once, then maps its start through the writer’s clock offset', async () => {
    const now = 5_000_000;
    const doc: { transport: BackingTransport } = {
      transport: { playing: true, trackId: 'track1', startAt: now + 30 + 400, fromMs: 1000, clock: 'eng' },
    };
    const clock = new SharedClock({ me: 'me', userOf: (peer) => (peer === 'p-eng' ? 'eng' : null) });
    clock.update([{ sourceKey: 'p-eng', clockOffsetMs: 30, clockUncertaintyMs: 0.2 } as SourceStats]);
    const { engine, loads, sent, events, decoded } = fakeEngine(now - 10_000);
    const downloads: string[] = [];
    const mix = { gainDb: -6, mute: false };
    const player = new BackingTrackPlayer({
      mix: () => mix,
      doc,
      clock,
      engine: () => engine,
      download: (id) => {
        downloads.push(id);
        return Promise.resolve(new Uint8Array([1, 2, 3]).buffer);
      },
    });
    player.refresh();
    await settle();
    await settle();
    for (let i = 0; i < 5; i++) player.refresh();
    expect(downloads).toEqual(['track1']);
    expect(decoded).toHaveLength(1);
    expect(loads).toHaveLength(1);
    expect(loads[0]!.channels).toHaveLength(2);
    expect(player.load).toEqual({ kind: 'ready', trackId: 'track1', durationMs: 1000 });
    // The start, 400 ms after the press on both clocks, as our context frame; position 1 s = 48,000 frames.
    expect(sent.at(-1)).toEqual({
      id: loads[0]!.id,
      playing: true,
      startFrame: (now + 400 - (now - 10_000)) * 48,
      fromFrame: 48_000,
      gain: expect.closeTo(0.501, 3) as number,
    });
    // Our strip for the track in the mixer doc: muted, then silent at the mixer's floor.
    mix.mute = true;
    player.refresh();
    expect(sent.at(-1)!.gain).toBe(0);
    mix.mute = false;
    mix.gainDb = -60;
    player.refresh();
    expect(sent.at(-1)!.gain).toBe(0);
    // The benchmark report is put on the timeline's clock.
    const started: number[] = [];
    player.events.on('started', ({ sharedMs }) => started.push(sharedMs));
    events.emit('backing-started', { id: loads[0]!.id, fromFrame: 48_000, epochMs: now + 400 });
    expect(started).toEqual([now + 430]);
    player.dispose();
  });

  it('says why a track cannot be played, and does not retry the download on every refresh', async () => {
    const doc = { transport: { playing: true, trackId: 'gone', startAt: 1, fromMs: 0, clock: 'me' } };
    const { engine, sent } = fakeEngine(0);
    let downloads = 0;
    const player = new BackingTrackPlayer({
      mix: () => ({ gainDb: 0, mute: false }),
      doc,
      clock: new SharedClock({ me: 'me', userOf: () => null }),
      engine: () => engine,
      download: () => {
        downloads += 1;
        return Promise.reject(new Error('Download failed (404).'));
      },
    });
    player.refresh();
    await settle();
    for (let i = 0; i < 5; i++) player.refresh();
    expect(downloads).toBe(1);
    expect(player.load).toEqual({ kind: 'error', trackId: 'gone', message: 'Download failed (404).' });
    expect(sent.every((m) => !m.playing)).toBe(true);
    player.retry();
    await settle();
    expect(downloads).toBe(2);
  });
});
