/**
 * StudioAudio as composition: a real AudioNetClient over a stand-in Worker, a real Roster and
 * Participants, and a stand-in engine (there is no AudioContext in Node).
 */
import { describe, expect, it, vi } from 'vitest';
import { AudioNetClient } from '../audio/audio-net-client';
import type { AudioEngine } from '../audio/engine';
import { Roster } from '../net/roster';
import type { AttestedPeer } from '../protocol/attested';
import { MAX_PEERS } from '../protocol/audio-layout';
import type { FromAudioWorker, SourceStats } from '../protocol/audio-worker';
import type { MixerDoc, PersonalMix } from '../sync/mixer-doc';
import { Emitter } from '../util/emitter';
import { DEFAULT_AUDIO_SETTINGS } from './audio-settings';
import { Participants } from './participants';
import { StudioAudio } from './studio-audio';

// The real engine module subclasses AudioWorkletNode at import; StudioAudio gets a stand-in instead.
vi.mock('../audio/engine', () => ({
  AudioEngine: { start: () => Promise.reject(new Error('no engine in Node')) },
}));

class FakeWorker {
  posted: Array<{ type: string; sourceKey?: string; slot?: number }> = [];
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  postMessage(message: { type: string }) {
    this.posted.push(message);
  }
  terminate() {}
  /** A message from the Worker. */
  say(message: FromAudioWorker) {
    this.onmessage?.({ data: message } as MessageEvent);
  }
}

function fakeEngine() {
  const params = new Map<number, { gain?: number; pan?: number; mute?: boolean; solo?: boolean }>();
  const depth = new Map<number, number>();
  const engine = {
    events: new Emitter(),
    shared: true,
    inputTrack: null,
    disposed: 0,
    setPeerParams: (slot: number, p: object) => params.set(slot, { ...params.get(slot), ...p }),
    setMonitorGain: vi.fn(),
    setMasterGain: vi.fn(),
    setInputGainDb: vi.fn(),
    setInputMuted: vi.fn(),
    peerStatus: (slot: number) => ({ DepthMs: depth.get(slot) ?? 0, Peak: 0, Rms: 0 }),
    deviceLatencyMs: () => ({ output: 5, base: 3 }),
    inputLevel: () => ({ peak: 0, rms: 0 }),
    captureOverflows: () => 0,
    setFrameSamples: vi.fn(),
    setInput: vi.fn(),
    openRecordTap: vi.fn((port: MessagePort) => void port),
    closeRecordTap: vi.fn(),
    clockAnchor: () => ({ contextFrame: 4800, epochMs: 1_700_000_000_000 }),
    captureAnchor: vi.fn(() => ({ senderTime: 960, epochMs: 1_700_000_000_020 })),
    dispose: () => void engine.disposed++,
  };
  return { engine, params, depth };
}

let client = 10;
const peer = (peerId: string, userId: string, joinedAt: number): AttestedPeer => ({
  peerId,
  userId,
  role: 'member',
  name: userId,
  instrument: '',
  client: client++,
  joinedAt,
});

const noSfu = {
  transports: 0,
  rttMs: null,
  clockOffsetMs: null,
  clockUncertaintyMs: null,
  framesSent: 0,
  skippedSends: 0,
  oversizeFrames: 0,
  unkeyedFrames: 0,
  bundles: 0,
  badBundles: 0,
  unknownSourceFrames: 0,
};

const BO = 'bo-peer-0001';
const CY = 'cy-peer-0001';

function stats(sourceKey: string, over: Partial<SourceStats> = {}): SourceStats {
  return {
    sourceKey,
    rttMs: 4,
    transports: 1,
    clockOffsetMs: null,
    clockUncertaintyMs: null,
    framesSent: 100,
    framesReceived: 100,
    duplicateFrames: 0,
    badFrames: 0,
    skippedFrames: 0,
    lateFrames: 0,
    framesDecoded: 100,
    recoveredFrames: 0,
    concealedFrames: 0,
    codec: 'opus',
    frameSamples: 120,
    lastFrameAgeMs: 2,
    sfuFrames: 0,
    undecryptableFrames: 0,
    tamperedFrames: 0,
    ...over,
  };
}

function setup() {
  const roster = new Roster();
  roster.reset(peer('me-peer-0001', 'me', 1), [peer(BO, 'bo', 2)], []);
  const participants = new Participants({ roster });
  const worker = new FakeWorker();
  const net = new AudioNetClient(() => worker as unknown as Worker);
  const mix: PersonalMix = {
    listener: 'me',
    monitor: -6,
    master: 0,
    sources: { bo: { gain: -6, pan: 0.5, mute: false, solo: false } },
  };
  const mixer = { mixFor: () => mix, subscribe: () => () => {} } as unknown as MixerDoc;
  const fake = fakeEngine();
  const audio = new StudioAudio({
    net,
    mixer,
    me: 'me',
    participants,
    assets: { workletUrls: { capture: '', playback: '', detector: '', recordTap: '' } },
    startEngine: () => Promise.resolve(fake.engine as unknown as AudioEngine),
  });
  const sendStats = (sources: SourceStats[]) =>
    worker.say({
      type: 'stats',
      sources,
      unknownFrames: 0,
      framesCaptured: 0,
      encoderSkipped: 0,
      sfu: noSfu,
    });
  return { roster, participants, worker, net, audio, sendStats, ...fake };
}

describe('StudioAudio', () => {
  it('gives each participant a source as it joins and removes it when it leaves', () => {
    const { roster, participants, worker, net, audio } = setup();
    expect(participants.get(BO)!.slot).toBe(0);
    roster.join(peer(CY, 'cy', 3));
    expect(participants.get(CY)!.slot).toBe(1);
    roster.leave(BO, 'closed');
    expect([...net.slots]).toEqual([[CY, 1]]);
    expect(worker.posted.filter((m) => m.type !== 'settings').map((m) => `${m.type}:${m.sourceKey}`)).toEqual(
      [`add-source:${BO}`, `add-source:${CY}`, `remove-source:${BO}`],
    );
    audio.dispose();
  });

  it('gives a participant who found every slot taken the first one that frees', () => {
    const { roster, participants, audio } = setup();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    // Bo holds slot 0; MAX_PEERS more remote players: the last finds none.
    const id = (i: number) => `p${String(i).padStart(2, '0')}-peer-0001`;
    for (let i = 1; i <= MAX_PEERS; i++) roster.join(peer(id(i), `p${i}`, 10 + i));
    expect(participants.get(id(MAX_PEERS - 1))!.slot).toBe(MAX_PEERS - 1);
    expect(participants.get(id(MAX_PEERS))!.slot).toBeNull();
    roster.leave(BO, 'closed');
    expect(participants.get(id(MAX_PEERS))!.slot).toBe(0);
    warn.mockRestore();
    audio.dispose();
  });

  it('says whether our audio runs, for presence', async () => {
    const { audio } = setup();
    const seen: boolean[] = [];
    audio.events.on('sending', (on) => seen.push(on));
    expect(audio.sending).toBe(false);
    await audio.start();
    expect(audio.sending).toBe(true);
    audio.stop();
    expect(audio.sending).toBe(false);
    expect(seen).toEqual([true, false]);
    audio.dispose();
  });

  it('keeps the input gain and "Mute me" chosen while audio is off, and across a restart', async () => {
    const { audio, engine } = setup();
    audio.setInputGainDb(-4.5);
    audio.setInputMuted(true);
    expect(engine.setInputMuted).not.toHaveBeenCalled(); // no engine yet
    await audio.start();
    expect(engine.setInputGainDb).toHaveBeenLastCalledWith(-4.5);
    expect(engine.setInputMuted).toHaveBeenLastCalledWith(true);
    audio.setInputMuted(false);
    audio.stop();
    engine.setInputMuted.mockClear();
    await audio.start();
    expect(engine.setInputMuted).toHaveBeenCalledExactlyOnceWith(false);
    expect(engine.setInputGainDb).toHaveBeenLastCalledWith(-4.5);
    audio.dispose();
  });

  it('applies our personal mix to each participant’s slot, by its attested user id', async () => {
    const { roster, audio, params } = setup();
    await audio.start();
    roster.join(peer(CY, 'cy', 3));
    expect(params.get(0)).toMatchObject({ gain: expect.closeTo(0.501, 3), pan: 0.5, mute: false });
    expect(params.get(1)).toMatchObject({ gain: 1, pan: 0 }); // no mix for cy yet: defaults
    audio.dispose();
  });

  it('bug: estimates a remote player’s delay with THEIR frame size, not ours', async () => {
    const { audio, sendStats, depth } = setup();
    await audio.update({ ...DEFAULT_AUDIO_SETTINGS, frameMs: 2.5 });
    await audio.start();
    depth.set(0, 10);
    sendStats([stats(BO, { frameSamples: 480, rttMs: 4 })]); // they send 10 ms frames
    // RTT/2 2 + jitter buffer 10 + their frame 10 + Opus lookahead 2.5 + output 5 + base 3.
    expect(audio.latencyOf('bo')).toBeCloseTo(32.5, 6);
    audio.dispose();
  });

  it('bug: shows a player who stopped audio as stopped — no latency, path off', async () => {
    const { participants, audio, sendStats } = setup();
    await audio.start();
    participants.setAdvertised(BO, { paths: ['data', 'track'], on: true });
    expect(audio.pathOf('bo')).toBeNull(); // nothing arrived yet
    sendStats([stats(BO)]);
    expect(audio.pathOf('bo')).toBe('opus');
    expect(audio.latencyOf('bo')).not.toBeNull();
    // They press Stop audio: presence says so.
    participants.setAdvertised(BO, { paths: ['data', 'track'], on: false });
    expect(audio.pathOf('bo')).toBe('off');
    expect(audio.latencyOf('bo')).toBeNull();
    // An older client says nothing, but its frames stop.
    participants.setAdvertised(BO, { paths: ['data', 'track'], on: true });
    sendStats([stats(BO, { lastFrameAgeMs: 1500 })]);
    expect(audio.pathOf('bo')).toBe('off');
    expect(audio.latencyOf('bo')).toBeNull();
    expect(audio.diagnostics()).toMatchObject([{ peerId: BO, userId: 'bo', slot: 0, audio: 'off' }]);
    audio.dispose();
  });

  it('disposes once: stops the engine and lets go of the participants', async () => {
    const { roster, audio, engine, net } = setup();
    await audio.start();
    audio.dispose();
    audio.dispose();
    expect(engine.disposed).toBe(1);
    roster.join(peer(CY, 'cy', 3));
    expect(net.slots.has(CY)).toBe(false);
  });

  it('tells the Worker our capture anchor at start and every second while audio runs', async () => {
    vi.useFakeTimers();
    try {
      const { audio, worker, engine } = setup();
      const anchors = () => worker.posted.filter((m) => m.type === 'capture-anchor');
      await audio.start();
      expect(anchors()).toEqual([
        { type: 'capture-anchor', anchor: { senderTime: 960, epochMs: 1_700_000_000_020 } },
      ]);
      vi.advanceTimersByTime(3000);
      expect(anchors()).toHaveLength(4);
      audio.stop();
      vi.advanceTimersByTime(3000);
      expect(anchors()).toHaveLength(4);
      expect(engine.captureAnchor).toHaveBeenCalledTimes(4);
      audio.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it('opens the recorder’s ports only while audio runs, and closes them once (also when audio stops)', async () => {
    const { audio, worker, engine } = setup();
    expect(audio.openRecordPorts()).toBeNull();
    expect(audio.clockAnchor()).toBeNull();
    await audio.start();
    const ports = audio.openRecordPorts()!;
    expect(ports.clock).toEqual({ contextFrame: 4800, epochMs: 1_700_000_000_000 });
    expect(ports.tapPort).toBeInstanceOf(MessagePort);
    expect(ports.netPort).toBeInstanceOf(MessagePort);
    expect(engine.openRecordTap).toHaveBeenCalledTimes(1);
    const records = () =>
      worker.posted.filter((m) => m.type === 'record') as unknown as Array<{ port: unknown }>;
    expect(records()).toHaveLength(1);
    expect(records()[0]!.port).toBeInstanceOf(MessagePort);
    audio.closeRecordPorts();
    audio.closeRecordPorts();
    expect(records().map((m) => m.port)).toEqual([expect.any(MessagePort), null]);
    expect(engine.closeRecordTap).toHaveBeenCalled();

    audio.openRecordPorts();
    audio.stop();
    expect(records().map((m) => m.port)).toEqual([
      expect.any(MessagePort),
      null,
      expect.any(MessagePort),
      null,
    ]);
    for (const port of [ports.tapPort, ports.netPort]) port.close();
    audio.dispose();
  });
});
