/**
 * The metronome of one studio visit, as composition: the timeline in the studio doc (MetronomeDoc,
 * attributed through the relay-attested roster like the mixer), every player's clock offset from the
 * audio Worker's stats (SharedClock), and our click (MetronomePlayer), kept in step with each other.
 */
import type { AudioNetClient } from '../audio/audio-net-client';
import type { Roster } from '../net/roster';
import { MetronomeDoc } from '../sync/metronome-doc';
import type { Author } from '../sync/mixer-doc';
import type { StudioSync } from '../sync/studio-sync';
import { MetronomePlayer } from './metronome-player';
import { SharedClock, type UserClock } from './shared-clock';
import type { StudioAudio } from './studio-audio';

const REMAP_MS = 250;

export interface StudioMetronome {
  readonly doc: MetronomeDoc;
  readonly player: MetronomePlayer;
  readonly clock: SharedClock;
  dispose(): void;
}

export function createStudioMetronome(options: {
  sync: StudioSync;
  roster: Roster;
  net: AudioNetClient;
  audio: StudioAudio;
  me: Author;
}): StudioMetronome {
  const { roster } = options;
  const now = () => performance.timeOrigin + performance.now();
  const clock = new SharedClock({
    me: options.me.userId,
    userOf: (peerId) => roster.get(peerId)?.userId ?? null,
    relayClockOf: (userId) => relayClockOf(options.sync, roster, userId),
  });
  const doc = new MetronomeDoc({
    doc: options.sync.doc,
    me: options.me,
    authorOf: (client) => {
      const peer = roster.byClient(client);
      return peer ? { userId: peer.userId, role: peer.role } : null;
    },
    now,
    offsetOf: (userId) => clock.offsetOf(userId),
  });
  const player = new MetronomePlayer({ doc, clock, engine: () => options.audio.engine, now });
  const refresh = () => player.refresh();
  // While it runs, the mapping is also resent at the rate the engine reads its output clock (4/s): when a
  // loaded machine stalls the audio device, the context's frames move against the wall clock in steps,
  // and every beat until the next mapping would sound late by the step.
  const timer = setInterval(() => {
    if (doc.transport.running) refresh();
  }, REMAP_MS);
  const offs = [
    doc.subscribe(refresh),
    options.audio.events.on('state', refresh),
    options.net.events.on('stats', ({ sources, sfu }) => {
      clock.update(sources);
      clock.setRelayClock(
        sfu.clockOffsetMs === null || sfu.clockUncertaintyMs === null
          ? null
          : { offsetMs: sfu.clockOffsetMs, uncertaintyMs: sfu.clockUncertaintyMs },
      );
      refresh();
    }),
    roster.events.on('reset', ({ self }) => doc.setMe({ userId: self.userId, role: self.role })),
    roster.events.on('updated', ({ peer }) => {
      if (peer.peerId === roster.self?.peerId) doc.setMe({ userId: peer.userId, role: peer.role });
      else doc.recheck();
    }),
    // A newcomer's items may have arrived before the relay attested it: look again once it has.
    roster.events.on('joined', () => doc.recheck()),
  ];
  let disposed = false;
  return {
    doc,
    player,
    clock,
    dispose() {
      if (disposed) return;
      disposed = true;
      clearInterval(timer);
      for (const off of offs) off();
      player.dispose();
      doc.dispose();
    },
  };
}

/** The tightest relay clock reading `userId`'s visits gave in presence (an SFU room); null if none. */
function relayClockOf(sync: StudioSync, roster: Roster, userId: string): UserClock | null {
  let best: UserClock | null = null;
  for (const peer of roster.peers()) {
    if (peer.userId !== userId) continue;
    const reading = sync.audioOf(peer.client)?.relayClock;
    if (reading && (!best || reading.uncertaintyMs < best.uncertaintyMs)) best = reading;
  }
  return best;
}
