import { describe, expect, it, vi } from 'vitest';
import type { AudioEngine } from '../audio/engine';
import type { TrackReceiver } from '../audio/track-receiver';
import type { AudioReceiveStats, PeerLinkEvents } from '../net/peer-link';
import { Roster } from '../net/roster';
import type { AudioPath } from '../sync/presence';
import { Emitter } from '../util/emitter';
import { Participants } from './participants';
import { TrackPaths, type TrackLink } from './track-paths';

function fakeTrack(): MediaStreamTrack {
  const target = new EventTarget() as EventTarget & { readyState: string; kind: string };
  target.readyState = 'live';
  target.kind = 'audio';
  return target as unknown as MediaStreamTrack;
}

function fakeLink(remoteId: string) {
  const sent: Array<MediaStreamTrack | null> = [];
  const stats: { now: AudioReceiveStats | null } = { now: null };
  const link: TrackLink = {
    remoteId,
    events: new Emitter<PeerLinkEvents>(),
    addAudioTrack: (track) => void sent.push(track),
    removeAudioTrack: () => void sent.push(null),
    audioReceiveStats: () => Promise.resolve(stats.now),
  };
  return { link, sent, stats };
}

const BO = 'bo-peer-0001';

function setup() {
  const roster = new Roster();
  const identity = (peerId: string, userId: string, client: number) => ({
    peerId,
    userId,
    role: 'member' as const,
    name: userId,
    instrument: '',
    client,
    joinedAt: client,
  });
  roster.reset(identity('me-peer-0001', 'me', 1), [identity(BO, 'bo', 2)], []);
  const participants = new Participants({ roster });
  participants.setSlot(BO, 0);
  const setBo = (paths: AudioPath[] | undefined) =>
    participants.setAdvertised(BO, paths ? { paths, on: true } : null);
  setBo(['data', 'track']);
  const net = { setSourcePath: vi.fn() };
  const onChange = vi.fn();
  const paths = new TrackPaths({ net, participants, onChange });
  const receivers: Array<{ track: MediaStreamTrack; dispose: ReturnType<typeof vi.fn> }> = [];
  const input = fakeTrack();
  const engine = {
    inputTrack: input,
    receiveTrack: (_slot: number, track: MediaStreamTrack) => {
      const receiver = { track, dispose: vi.fn() };
      receivers.push(receiver);
      return receiver as unknown as TrackReceiver;
    },
    releaseTrack: (receiver: TrackReceiver) => receiver.dispose(),
  } as unknown as AudioEngine;
  const record = () => participants.get(BO)!;
  return { net, paths, engine, input, receivers, onChange, setBo, record, roster, participants };
}

describe('TrackPaths', () => {
  it('keeps a pair on the data path while both can use it, and says so in the record', () => {
    const { paths, engine, net, receivers, record } = setup();
    const { link, sent } = fakeLink(BO);
    expect(record().route).toBeNull();
    paths.addLink(link);
    paths.setEngine(engine);
    link.events.emit('track', fakeTrack());
    expect(record().route).toBe('data');
    expect(sent).toEqual([]);
    expect(receivers).toEqual([]);
    expect(net.setSourcePath).not.toHaveBeenCalled();
  });

  it('moves a pair to the track path: sends the mic, plays their track, and undoes it all', () => {
    const { paths, engine, net, input, receivers, setBo, record } = setup();
    const { link, sent } = fakeLink(BO);
    const release = paths.addLink(link);
    setBo(['track']);
    paths.reconcile();
    expect(record().route).toBe('track');
    expect(net.setSourcePath).toHaveBeenLastCalledWith(BO, 'track');
    expect(sent).toEqual([]); // audio is off: nothing to send yet

    const remote = fakeTrack();
    link.events.emit('track', remote);
    paths.setEngine(engine);
    expect(sent).toEqual([input]);
    expect(receivers.map((r) => r.track)).toEqual([remote]);
    expect(record().receiver).not.toBeNull();

    paths.setEngine(null); // audio stops
    expect(sent).toEqual([input, null]);
    expect(receivers[0]!.dispose).toHaveBeenCalled();
    expect(record().receiver).toBeNull();

    paths.setEngine(engine);
    release(); // the link closes
    expect(sent).toEqual([input, null, input, null]);
    expect(receivers[1]!.dispose).toHaveBeenCalled();
    expect(record()).toMatchObject({ receiver: null, route: null });
  });

  it('releases the receiver of a peer that left before its link closed', () => {
    const { paths, engine, receivers, setBo, roster } = setup();
    const { link } = fakeLink(BO);
    paths.addLink(link);
    setBo(['track']);
    paths.setEngine(engine);
    link.events.emit('track', fakeTrack());
    expect(receivers).toHaveLength(1);
    roster.leave(BO, 'closed');
    paths.reconcile();
    expect(receivers[0]!.dispose).toHaveBeenCalled();
  });

  it('estimates the network delay of a track pair from the change in jitter-buffer stats, once a second', async () => {
    vi.useFakeTimers();
    try {
      const { paths, engine, setBo, record } = setup();
      const { link, stats } = fakeLink(BO);
      paths.addLink(link);
      setBo(['track']);
      paths.setEngine(engine);
      link.events.emit('track', fakeTrack());
      stats.now = { jitterBufferDelayS: 10, jitterBufferEmittedCount: 48_000, rttMs: 20 };
      await vi.advanceTimersByTimeAsync(1000);
      expect(record().trackDelayMs).toBeNull(); // one sample: no difference yet
      // 48 000 more samples emitted, 1200 s in the buffer summed over them: 25 ms each, plus half the RTT.
      stats.now = { jitterBufferDelayS: 1210, jitterBufferEmittedCount: 96_000, rttMs: 20 };
      await vi.advanceTimersByTimeAsync(1000);
      expect(record().trackDelayMs).toBeCloseTo(35);
      paths.setEngine(null);
      expect(record().trackDelayMs).toBeNull(); // not receiving
      // Audio restarts: the first poll is a new baseline, not a difference across the pause.
      paths.setEngine(engine);
      stats.now = { jitterBufferDelayS: 2410, jitterBufferEmittedCount: 144_000, rttMs: 20 };
      await vi.advanceTimersByTimeAsync(1000);
      expect(record().trackDelayMs).toBeNull();
      paths.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not write a closed link’s late stats into the record of the link that replaced it', async () => {
    vi.useFakeTimers();
    try {
      const { paths, engine, setBo, record } = setup();
      const old = fakeLink(BO);
      const release = paths.addLink(old.link);
      setBo(['track']);
      paths.setEngine(engine);
      old.link.events.emit('track', fakeTrack());
      old.stats.now = { jitterBufferDelayS: 10, jitterBufferEmittedCount: 48_000, rttMs: 20 };
      await vi.advanceTimersByTimeAsync(1000); // the baseline
      let answer: (stats: AudioReceiveStats) => void = () => {};
      old.link.audioReceiveStats = () => new Promise((resolve) => (answer = resolve));
      await vi.advanceTimersByTimeAsync(1000); // a poll is under way when the link closes
      release();
      const next = fakeLink(BO);
      paths.addLink(next.link);
      next.link.events.emit('track', fakeTrack());
      answer({ jitterBufferDelayS: 1210, jitterBufferEmittedCount: 96_000, rttMs: 20 });
      await vi.advanceTimersByTimeAsync(0);
      expect(record().trackDelayMs).toBeNull(); // the new link has not been measured yet
      paths.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it('drops the receiver when their track ends', () => {
    const { paths, engine, receivers, setBo, record } = setup();
    const { link } = fakeLink(BO);
    paths.addLink(link);
    setBo(['track']);
    paths.setEngine(engine);
    const remote = fakeTrack();
    link.events.emit('track', remote);
    expect(receivers).toHaveLength(1);
    (remote as unknown as { readyState: string }).readyState = 'ended';
    remote.dispatchEvent(new Event('ended'));
    expect(receivers[0]!.dispose).toHaveBeenCalled();
    expect(record().receiver).toBeNull();
  });

  it('uses the track path with everyone when forced locally', () => {
    const { paths, record } = setup();
    paths.addLink(fakeLink(BO).link);
    paths.setLocalPaths(['track']);
    expect(record().route).toBe('track');
    paths.setLocalPaths(['data', 'track']);
    expect(record().route).toBe('data');
  });
});
