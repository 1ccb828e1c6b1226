/**
 * The backing track of one studio visit, as composition: its transport in the studio doc
 * (BackingTrackDoc, attributed through the relay-attested roster and controlled under the metronome's
 * rule), the metronome's shared clock, our strip for it in the mixer doc, and our playback
 * (BackingTrackPlayer), kept in step.
 */
import type { Roster } from '../net/roster';
import { BACKING_TRACK_SOURCE, BackingTrackDoc } from '../sync/backing-track-doc';
import { DEFAULT_SOURCE_MIX, type Author, type MixerDoc } from '../sync/mixer-doc';
import type { StudioSync } from '../sync/studio-sync';
import { BackingTrackPlayer } from './backing-track-player';
import type { StudioAudio } from './studio-audio';
import type { StudioMetronome } from './studio-metronome';

/** As often as the metronome remaps (studio-metronome.ts): the context's frames move in steps on a loaded machine. */
const REMAP_MS = 250;

export interface StudioBackingTrack {
  readonly studioId: string;
  readonly doc: BackingTrackDoc;
  readonly player: BackingTrackPlayer;
  dispose(): void;
}

export function createStudioBackingTrack(options: {
  studioId: string;
  sync: StudioSync;
  roster: Roster;
  audio: StudioAudio;
  metronome: StudioMetronome;
  mixer: MixerDoc;
  me: Author;
  download: ((trackId: string) => Promise<ArrayBuffer>) | null;
}): StudioBackingTrack {
  const { roster, metronome } = options;
  const now = () => performance.timeOrigin + performance.now();
  const doc = new BackingTrackDoc({
    doc: options.sync.doc,
    me: options.me,
    authorOf: (client) => {
      const peer = roster.byClient(client);
      return peer ? { userId: peer.userId, role: peer.role } : null;
    },
    mayControl: (author) => metronome.doc.mayControl(author),
    now,
    offsetOf: (userId) => metronome.clock.offsetOf(userId),
  });
  const player = new BackingTrackPlayer({
    doc,
    clock: metronome.clock,
    engine: () => options.audio.engine,
    download: options.download,
    mix: () => {
      const strip =
        options.mixer.mixFor(options.me.userId).sources[BACKING_TRACK_SOURCE] ?? DEFAULT_SOURCE_MIX;
      return { gainDb: strip.gain, mute: strip.mute };
    },
  });
  const refresh = () => player.refresh();
  const timer = setInterval(() => {
    if (doc.transport.playing) refresh();
  }, REMAP_MS);
  const offs = [
    doc.subscribe(refresh),
    options.mixer.subscribe(refresh),
    // The metronome's setting decides who controls the track too; its clock estimates feed ours.
    metronome.doc.subscribe(() => doc.recheck()),
    options.audio.events.on('state', refresh),
    roster.events.on('reset', ({ self }) => doc.setMe({ userId: self.userId, role: self.role })),
    roster.events.on('updated', ({ peer }) => {
      if (peer.peerId === roster.self?.peerId) doc.setMe({ userId: peer.userId, role: peer.role });
      else doc.recheck();
    }),
    roster.events.on('joined', () => doc.recheck()),
  ];
  let disposed = false;
  return {
    studioId: options.studioId,
    doc,
    player,
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
