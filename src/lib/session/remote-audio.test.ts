import { describe, expect, it } from 'vitest';
import type { SourceStats } from '../protocol/audio-worker';
import type { TrackReceiver } from '../audio/track-receiver';
import type { Participant } from './participants';
import { participantDelayMs, pathOfVisits, remoteAudioOf } from './remote-audio';

const stats = (over: Partial<SourceStats>): SourceStats => ({
  sourceKey: 'bo',
  rttMs: 4,
  transports: 1,
  clockOffsetMs: null,
  clockUncertaintyMs: null,
  framesSent: 10,
  framesReceived: 10,
  duplicateFrames: 0,
  badFrames: 0,
  skippedFrames: 0,
  lateFrames: 0,
  framesDecoded: 10,
  recoveredFrames: 0,
  concealedFrames: 0,
  codec: 'opus',
  frameSamples: 120,
  lastFrameAgeMs: 3,
  sfuFrames: 0,
  undecryptableFrames: 0,
  tamperedFrames: 0,
  ...over,
});

const participant = (over: Partial<Participant>): Participant => ({
  identity: {
    peerId: 'bo-peer-01',
    userId: 'bo',
    role: 'member',
    name: 'Bo',
    instrument: '',
    client: 1,
    joinedAt: 1,
  },
  link: null,
  audio: { paths: ['data', 'track'], on: true },
  slot: 0,
  route: 'data',
  receiver: null,
  stats: null,
  trackDelayMs: null,
  network: null,
  ...over,
});

describe('remoteAudioOf', () => {
  it('plays over the data path while frames arrive, naming the codec', () => {
    expect(remoteAudioOf(participant({ stats: stats({}) }))).toEqual({ kind: 'playing', path: 'opus' });
    expect(remoteAudioOf(participant({ stats: stats({ codec: 'pcm' }) }))).toEqual({
      kind: 'playing',
      path: 'pcm',
    });
  });

  it('is off once the player says its audio stopped, even with fresh stats', () => {
    const p = participant({ audio: { paths: ['data'], on: false }, stats: stats({}) });
    expect(remoteAudioOf(p)).toEqual({ kind: 'off' });
  });

  it('is off when no frame came for more than a second, though presence still says on', () => {
    expect(remoteAudioOf(participant({ stats: stats({ lastFrameAgeMs: 1500 }) }))).toEqual({ kind: 'off' });
    expect(remoteAudioOf(participant({ stats: stats({ lastFrameAgeMs: 900 }) })).kind).toBe('playing');
  });

  it('waits while nothing arrived; a track pair plays only with a receiver', () => {
    expect(remoteAudioOf(participant({}))).toEqual({ kind: 'waiting' });
    expect(
      remoteAudioOf(participant({ stats: stats({ framesReceived: 0, codec: null, lastFrameAgeMs: null }) }))
        .kind,
    ).toBe('waiting');
    expect(remoteAudioOf(participant({ route: 'track' }))).toEqual({ kind: 'waiting' });
    const receiver = {} as TrackReceiver;
    expect(remoteAudioOf(participant({ route: 'track', receiver }))).toEqual({
      kind: 'playing',
      path: 'track',
    });
  });
});

describe('pathOfVisits / participantDelayMs', () => {
  const ours = { depthMs: 10, device: { output: 5, base: 3 } };

  it('names the path of a playing visit over a stopped one, off when all stopped, null while waiting', () => {
    const off = participant({ audio: { paths: ['data'], on: false } });
    const playing = participant({ stats: stats({ codec: 'pcm' }) });
    expect(pathOfVisits([off, playing])).toBe('pcm');
    expect(pathOfVisits([off])).toBe('off');
    expect(pathOfVisits([participant({})])).toBeNull();
    expect(pathOfVisits([])).toBeNull();
  });

  it('estimates with the remote’s frame size; no figure for a stopped or unmeasured visit', () => {
    const p = participant({ stats: stats({ frameSamples: 240, rttMs: 6 }) });
    expect(participantDelayMs(p, ours)).toBeCloseTo(3 + 10 + 5 + 2.5 + 5 + 3, 6);
    expect(participantDelayMs(participant({ stats: stats({ rttMs: null }) }), ours)).toBeNull();
    // Through the relay: our round trip to it stands for the one-way network delay (both legs).
    const relayed = participant({ network: 'relay', stats: stats({ frameSamples: 240, rttMs: null }) });
    expect(participantDelayMs(relayed, ours)).toBeNull();
    expect(participantDelayMs(relayed, { ...ours, relayRttMs: 4 })).toBeCloseTo(
      (participantDelayMs(p, ours) ?? 0) - 3 + 4,
      6,
    );
    expect(participantDelayMs(participant({ stats: stats({ lastFrameAgeMs: 5000 }) }), ours)).toBeNull();
    const track = participant({ route: 'track', receiver: {} as TrackReceiver, trackDelayMs: 35 });
    expect(participantDelayMs(track, ours)).toBeCloseTo(35 + 10 + 6.5 + 5 + 3, 6);
  });
});
