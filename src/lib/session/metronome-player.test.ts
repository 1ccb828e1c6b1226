import { describe, expect, it } from 'vitest';
import { START_LEAD_MS } from '../sync/metronome-doc';
import { Emitter } from '../util/emitter';
import { MetronomePlayer, type MetronomeEngine } from './metronome-player';
import { SharedClock } from './shared-clock';
import type { SourceStats } from '../protocol/audio-worker';

/** An engine whose context frame 0 was heard at epoch ms `zeroMs`, at 48 kHz. */
function fakeEngine(zeroMs: number) {
  const sent: Array<Parameters<MetronomeEngine['setMetronome']>[0]> = [];
  const events = new Emitter<{ click: { beat: number; epochMs: number } }>();
  const engine: MetronomeEngine = {
    context: { sampleRate: 48_000 },
    playedFrameAt: (ms) => (ms - zeroMs) * 48,
    setMetronome: (m) => sent.push(m),
    events,
  };
  return { engine, sent, events };
}

describe('MetronomePlayer', () => {
  it('maps a timeline on another player’s clock onto our frames through the measured offset', () => {
    const now = 5_000_000;
    // The engineer pressed start at `now` on its clock, which reads 30 ms ahead of ours.
    const mine = {
      transport: {
        running: true,
        bpm: 120,
        beatsPerBar: 4,
        beatOrigin: -4,
        timeOrigin: now + 30 + START_LEAD_MS,
        clock: 'eng',
      },
    };
    const clock = new SharedClock({ me: 'me', userOf: (peer) => (peer === 'p-eng' ? 'eng' : null) });
    const { engine, sent, events } = fakeEngine(now - 10_000);
    const player = new MetronomePlayer({ doc: mine, clock, engine: () => engine, now: () => now });
    player.refresh();
    expect(player.synced).toBe(false);
    clock.update([{ sourceKey: 'p-eng', clockOffsetMs: 30, clockUncertaintyMs: 0.2 } as SourceStats]);
    player.refresh();
    expect(player.synced).toBe(true);
    const last = sent.at(-1)!;
    // Count-in beat −4 sounds START_LEAD_MS after the press, on both clocks; beat 0 two seconds later.
    const beatZeroOurMs = now + START_LEAD_MS + 2000;
    expect(last.beatZeroFrame).toBeCloseTo((beatZeroOurMs - (now - 10_000)) * 48, 6);
    expect(last).toMatchObject({ running: true, framesPerBeat: 24_000, beatsPerBar: 4, firstBeat: -4 });
    expect(player.beatNow()).toBeCloseTo(-4 - START_LEAD_MS / 500, 9);
    const clicks: number[] = [];
    player.events.on('click', ({ sharedMs }) => clicks.push(sharedMs));
    events.emit('click', { beat: 0, epochMs: beatZeroOurMs });
    expect(clicks).toEqual([beatZeroOurMs + 30]);
    player.setClickDb(-60);
    expect(sent.at(-1)!.gain).toBe(0);
    player.dispose();
    events.emit('click', { beat: 1, epochMs: 1 });
    expect(clicks).toHaveLength(1);
  });
});
