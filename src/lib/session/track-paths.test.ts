import { describe, expect, it, vi } from 'vitest';
import type { AudioNetClient } from '../audio/audio-net-client';
import type { AudioEngine } from '../audio/engine';
import type { TrackReceiver } from '../audio/track-receiver';
import type { AudioReceiveStats, PeerLinkEvents } from '../net/peer-link';
import type { AudioPath, PresentPeer } from '../sync/presence';
import { Emitter } from '../util/emitter';
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

function setup() {
  const slots = new Map([['bo', 0]]);
  const net = { slots, setPeerPath: vi.fn() } as unknown as AudioNetClient;
  let bo: AudioPath[] | undefined = ['data', 'track'];
  const presence = () => [{ peerId: 'bo', audioPaths: bo } as PresentPeer];
  const onChange = vi.fn();
  const paths = new TrackPaths({ net, presence, onChange });
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
  return { net, paths, engine, input, receivers, onChange, setBo: (p: AudioPath[] | undefined) => (bo = p) };
}

describe('TrackPaths', () => {
  it('keeps a pair on the data path while both can use it', () => {
    const { paths, engine, net, receivers } = setup();
    const { link, sent } = fakeLink('bo');
    paths.addLink(link);
    paths.setEngine(engine);
    link.events.emit('track', fakeTrack());
    expect(paths.pathOf('bo')).toBe('data');
    expect(sent).toEqual([]);
    expect(receivers).toEqual([]);
    expect(net.setPeerPath).not.toHaveBeenCalled();
  });

  it('moves a pair to the track path: sends the mic, plays their track, and undoes it all', () => {
    const { paths, engine, net, input, receivers, setBo } = setup();
    const { link, sent } = fakeLink('bo');
    const release = paths.addLink(link);
    setBo(['track']);
    paths.reconcile();
    expect(paths.pathOf('bo')).toBe('track');
    expect(net.setPeerPath).toHaveBeenLastCalledWith('bo', 'track');
    expect(sent).toEqual([]); // audio is off: nothing to send yet

    const remote = fakeTrack();
    link.events.emit('track', remote);
    paths.setEngine(engine);
    expect(sent).toEqual([input]);
    expect(receivers.map((r) => r.track)).toEqual([remote]);
    expect(paths.receiver('bo')).not.toBeNull();

    paths.setEngine(null); // audio stops
    expect(sent).toEqual([input, null]);
    expect(receivers[0]!.dispose).toHaveBeenCalled();
    expect(paths.receiver('bo')).toBeNull();

    paths.setEngine(engine);
    release(); // the link closes
    expect(sent).toEqual([input, null, input, null]);
    expect(receivers[1]!.dispose).toHaveBeenCalled();
    expect(paths.receiver('bo')).toBeNull();
  });

  it('estimates the network delay of a track pair from the change in jitter-buffer stats, once a second', async () => {
    vi.useFakeTimers();
    try {
      const { paths, engine, setBo } = setup();
      const { link, stats } = fakeLink('bo');
      paths.addLink(link);
      setBo(['track']);
      paths.setEngine(engine);
      link.events.emit('track', fakeTrack());
      stats.now = { jitterBufferDelayS: 10, jitterBufferEmittedCount: 48_000, rttMs: 20 };
      await vi.advanceTimersByTimeAsync(1000);
      expect(paths.networkDelayMs('bo')).toBeNull(); // one sample: no difference yet
      // 48 000 more samples emitted, 1200 s in the buffer summed over them: 25 ms each, plus half the RTT.
      stats.now = { jitterBufferDelayS: 1210, jitterBufferEmittedCount: 96_000, rttMs: 20 };
      await vi.advanceTimersByTimeAsync(1000);
      expect(paths.networkDelayMs('bo')).toBeCloseTo(35);
      paths.setEngine(null);
      expect(paths.networkDelayMs('bo')).toBeNull(); // not receiving
      // Audio restarts: the first poll is a new baseline, not a difference across the pause.
      paths.setEngine(engine);
      stats.now = { jitterBufferDelayS: 2410, jitterBufferEmittedCount: 144_000, rttMs: 20 };
      await vi.advanceTimersByTimeAsync(1000);
      expect(paths.networkDelayMs('bo')).toBeNull();
      paths.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it('drops the receiver when their track ends', () => {
    const { paths, engine, receivers, setBo } = setup();
    const { link } = fakeLink('bo');
    paths.addLink(link);
    setBo(['track']);
    paths.setEngine(engine);
    const remote = fakeTrack();
    link.events.emit('track', remote);
    expect(receivers).toHaveLength(1);
    (remote as unknown as { readyState: string }).readyState = 'ended';
    remote.dispatchEvent(new Event('ended'));
    expect(receivers[0]!.dispose).toHaveBeenCalled();
    expect(paths.receiver('bo')).toBeNull();
  });

  it('uses the track path with everyone when forced locally', () => {
    const { paths } = setup();
    paths.addLink(fakeLink('bo').link);
    paths.setLocalPaths(['track']);
    expect(paths.pathOf('bo')).toBe('track');
    paths.setLocalPaths(['data', 'track']);
    expect(paths.pathOf('bo')).toBe('data');
  });
});
