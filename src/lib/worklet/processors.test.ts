import { describe, expect, it, vi } from 'vitest';
import {
  PARAM_BYTES,
  SAMPLE_RING_BYTES,
  STATUS_BYTES,
  PacketRing,
  ParamBlock,
  ParamGlobal,
  PeerStatusFloat,
  PeerStatusInt,
  SampleRing,
  StatusBlock,
  StatusFloat,
  StatusInt,
} from '../protocol/audio-layout.js';
import { AUDIO_WORKLET_VERSION, type WorkletEvent } from '../protocol/audio-worklet.js';
import { CaptureEngine, registerCaptureProcessor } from './capture-processor.js';
import { sharedPlaybackEngine, stubWorkletScope } from './worklet-harness.sim.js';
import { PlaybackEngine, registerPlaybackProcessor } from './playback-processor.js';

const SR = 48000;
const tone = (i: number) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / SR);

function recorder() {
  const events: WorkletEvent[] = [];
  return { events, post: (e: WorkletEvent) => void events.push(e) };
}

function stereoOut() {
  return [[new Float32Array(128), new Float32Array(128)]];
}

describe('PlaybackEngine', () => {
  function sharedSetup() {
    const rec = recorder();
    return { rec, ...sharedPlaybackEngine(rec.post, SR) };
  }

  /** Feeds `blocks` quanta: the "Worker" writes frames of `tone` as they become due, then one process(). */
  function run(
    engine: PlaybackEngine,
    rings: Map<number, PacketRing>,
    blocks: number,
    from = 0,
    signal: (slot: number, i: number) => number = (_s, i) => tone(i),
  ) {
    const pcm = new Float32Array(120);
    const outs: Float32Array[][] = [];
    for (let b = from; b < from + blocks; b++) {
      const now = b * 128;
      for (const [slot, ring] of rings) {
        for (let k = Math.floor((now - 128) / 120); (k + 1) * 120 <= now; k++) {
          if (k < 0) continue;
          for (let i = 0; i < 120; i++) pcm[i] = signal(slot, k * 120 + i);
          ring.write(
            {
              seq: k,
              senderTime: k * 120,
              arrivalTime: 0,
              frameSamples: 120,
              channels: 1,
              flags: k === 0 ? 1 : 0,
            },
            [pcm],
          );
        }
      }
      const out = stereoOut();
      engine.process(out, now);
      outs.push(out[0]!);
    }
    return outs;
  }

  it('plays a mono peer centred at −3 dB, meters it, and reports jitter-buffer state', () => {
    const { rec, engine, status, buffers } = sharedSetup();
    expect(rec.events).toContainEqual({
      type: 'ready',
      version: AUDIO_WORKLET_VERSION,
      processor: 'bandmesh-playback',
    });
    engine.handle({ type: 'add-peer', slot: 2, peerKey: 'bob' });
    const outs = run(engine, new Map([[2, PacketRing.forPeer(buffers.packets, 2)]]), 375 * 2);
    const last = outs[outs.length - 1]!;
    const peak = Math.max(...last[0]!.map(Math.abs));
    expect(peak).toBeGreaterThan(0.5 * Math.SQRT1_2 * 0.95);
    expect(peak).toBeLessThan(0.5 * Math.SQRT1_2 * 1.05);
    expect([...last[0]!]).toEqual([...last[1]!]);
    const s = status.readPeer(2);
    expect(s.Active).toBe(1);
    expect(s.FramesReceived).toBeGreaterThan(780);
    expect(s.Concealed).toBe(0);
    expect(s.TargetMs).toBeGreaterThan(2);
    // Starts at 5 ms + look-ahead (7.8 ms) and steps down 1.25 ms per second on a clean link.
    expect(s.TargetMs).toBeLessThan(8);
    expect(s.Peak).toBeGreaterThan(0.45);
    expect(status.ints[StatusInt.PlaybackBlocks]).toBe(750);
    expect(status.floats[StatusFloat.OutputPeak]).toBeGreaterThan(0.3);
    // Shared mode posts nothing per block.
    expect(rec.events.filter((e) => e.type === 'status')).toHaveLength(0);
  });

  it('a new peer in a reused slot starts from zero counters', () => {
    const { engine, status, buffers } = sharedSetup();
    engine.handle({ type: 'add-peer', slot: 3, peerKey: 'old' });
    const ring = PacketRing.forPeer(buffers.packets, 3);
    run(engine, new Map([[3, ring]]), 375);
    expect(status.readPeer(3).FramesReceived).toBeGreaterThan(300);
    // The old peer's Worker overran the ring (its overflow counter belongs to the Worker, not to us).
    const meta = { seq: 0, senderTime: 0, arrivalTime: 0, frameSamples: 120, channels: 1, flags: 0 };
    const planes = [new Float32Array(120)];
    while (ring.write(meta, planes));
    engine.process(stereoOut(), 375 * 128);
    expect(status.readPeer(3).Dropped).toBeGreaterThan(0);
    engine.handle({ type: 'add-peer', slot: 3, peerKey: 'new' });
    engine.process(stereoOut(), 375 * 128);
    expect(status.readPeer(3)).toMatchObject({
      Active: 1,
      FramesReceived: 0,
      Underruns: 0,
      Concealed: 0,
      Dropped: 0,
    });
  });

  it('applies mute, solo and pan with smoothing', () => {
    const { engine, params, buffers } = sharedSetup();
    engine.handle({ type: 'add-peer', slot: 0, peerKey: 'a' });
    engine.handle({ type: 'add-peer', slot: 1, peerKey: 'b' });
    const rings = new Map([
      [0, PacketRing.forPeer(buffers.packets, 0)],
      [1, PacketRing.forPeer(buffers.packets, 1)],
    ]);
    // Peer 0 plays +0.25 DC, peer 1 plays −0.5 DC, so the mix shows who is heard.
    const dc = (slot: number) => (slot === 0 ? 0.25 : -0.5);
    let t = 0;
    const step = (blocks: number) => {
      const outs = run(engine, rings, blocks, t, dc);
      t += blocks;
      return outs[outs.length - 1]!;
    };
    let out = step(375);
    expect(out[0]![127]).toBeCloseTo((0.25 - 0.5) * Math.SQRT1_2, 3);
    params.setPeer(1, { mute: true });
    out = step(40);
    expect(out[0]![127]).toBeCloseTo(0.25 * Math.SQRT1_2, 3);
    params.setPeer(1, { mute: false, solo: true });
    out = step(40);
    expect(out[0]![127]).toBeCloseTo(-0.5 * Math.SQRT1_2, 3);
    params.setPeer(1, { solo: false, pan: -1 });
    params.setPeer(0, { mute: true });
    out = step(40);
    expect(out[0]![127]).toBeCloseTo(-0.5, 3);
    expect(out[1]![127]).toBeCloseTo(0, 3);
    // Smoothing: the first sample after a gain change has barely moved.
    params.setGlobal(ParamGlobal.MasterGain, 0);
    out = step(1);
    expect(Math.abs(out[0]![0]!)).toBeGreaterThan(0.45);
  });

  it('counts bad packets instead of throwing, and survives messages before init', () => {
    const rec = recorder();
    const engine = new PlaybackEngine({ sampleRate: SR, post: rec.post });
    engine.handle({ type: 'add-peer', slot: 0, peerKey: 'x' });
    engine.handle('garbage');
    expect(rec.events.map((e) => e.type)).toEqual(['error', 'error']);
    expect(engine.process(stereoOut(), 0)).toBe(true);
    const { engine: e2, status, buffers } = sharedSetup();
    e2.handle({ type: 'add-peer', slot: 0, peerKey: 'x' });
    const ring = PacketRing.forPeer(buffers.packets, 0);
    ring.write({ seq: 1, senderTime: 0, arrivalTime: 0, frameSamples: 100, channels: 1, flags: 0 }, [
      new Float32Array(100),
    ]);
    e2.process(stereoOut(), 0);
    expect(status.readPeer(0).Dropped).toBe(1);
  });

  it('fallback: takes packets and params by message, posts status at ~20 Hz, reports impulses per slot', () => {
    const rec = recorder();
    const engine = new PlaybackEngine({ sampleRate: SR, post: rec.post });
    engine.handle({
      type: 'init',
      version: AUDIO_WORKLET_VERSION,
      fallback: true,
      frameSamples: 120,
      benchmark: { enabled: true, threshold: 0.3 },
    });
    engine.handle({ type: 'add-peer', slot: 5, peerKey: 'p' });
    const impulseAt = 48000; // sender sample index of a click
    for (let b = 0; b < 375 * 2; b++) {
      const now = b * 128;
      for (let k = Math.floor((now - 128) / 120); (k + 1) * 120 <= now; k++) {
        if (k < 0) continue;
        const pcm = new Float32Array(120);
        for (let i = 0; i < 120; i++) pcm[i] = k * 120 + i === impulseAt ? 0.9 : 0;
        engine.handle({
          type: 'packet',
          slot: 5,
          seq: k,
          senderTime: k * 120,
          arrivalTime: 0,
          frameSamples: 120,
          channels: 1,
          flags: 0,
          pcm,
        });
      }
      engine.process(stereoOut(), now);
    }
    const statuses = rec.events.filter((e) => e.type === 'status');
    expect(statuses.length).toBeGreaterThanOrEqual(39);
    expect(statuses.length).toBeLessThanOrEqual(41);
    const last = statuses[statuses.length - 1]!;
    expect(
      last.type === 'status' && last.ints[StatusBlock.peerInt(5, PeerStatusInt.FramesReceived)],
    ).toBeGreaterThan(780);
    expect(
      last.type === 'status' && last.floats[StatusBlock.peerFloat(5, PeerStatusFloat.TargetMs)],
    ).toBeGreaterThan(0);
    const impulses = rec.events.filter((e) => e.type === 'impulse-detected');
    expect(impulses).toHaveLength(1);
    const imp = impulses[0]!;
    // Heard one jitter-buffer depth (7.8 ms at 1 s: the initial target) plus the wait for the rest of
    // its 2.5 ms frame after the sample's capture index.
    expect(imp.type === 'impulse-detected' && imp.slot).toBe(5);
    const delayMs = imp.type === 'impulse-detected' ? ((imp.contextFrame - impulseAt) / SR) * 1000 : 0;
    expect(delayMs).toBeGreaterThan(7.8);
    expect(delayMs).toBeLessThan(7.8 + 2.5 + 0.5);
  });

  it('answers a version mismatch with a typed error', () => {
    const rec = recorder();
    new PlaybackEngine({ sampleRate: SR, post: rec.post }).handle({
      type: 'init',
      version: 99,
      fallback: true,
      frameSamples: 120,
    });
    expect(rec.events[0]).toMatchObject({ type: 'error', code: 'version-mismatch' });
  });
});

describe('CaptureEngine', () => {
  it('frames stereo input into the capture ring with exact continuity, meters it and monitors it', () => {
    const rec = recorder();
    const engine = new CaptureEngine({ sampleRate: SR, post: rec.post });
    const buffers = {
      capture: new SharedArrayBuffer(SAMPLE_RING_BYTES),
      status: new SharedArrayBuffer(STATUS_BYTES),
      params: new SharedArrayBuffer(PARAM_BYTES),
    };
    const params = new ParamBlock(buffers.params);
    params.reset();
    params.setGlobal(ParamGlobal.MonitorGain, 1);
    engine.handle({
      type: 'init',
      version: AUDIO_WORKLET_VERSION,
      fallback: false,
      buffers,
      frameSamples: 240,
      channels: 2,
    });
    const ring = new SampleRing(buffers.capture);
    const status = new StatusBlock(buffers.status);
    const frame = new Float32Array(480);
    let n = 0;
    let expected = 0;
    let bad = 0;
    let frames = 0;
    let out: Float32Array[][] = [];
    for (let b = 0; b < 400; b++) {
      const l = new Float32Array(128);
      const r = new Float32Array(128);
      for (let i = 0; i < 128; i++) {
        l[i] = tone(n);
        r[i] = -tone(n);
        n++;
      }
      out = stereoOut();
      engine.process([[l, r]], out, b * 128);
      while (ring.availableRead() >= 480) {
        ring.read(frame, 480);
        frames++;
        for (let i = 0; i < 240; i++) {
          if (
            frame[2 * i] !== Math.fround(tone(expected)) ||
            frame[2 * i + 1] !== Math.fround(-tone(expected))
          )
            bad++;
          expected++;
        }
      }
      if (b === 399) expect(out[0]![0]![127]).toBeCloseTo(l[127]!, 3);
    }
    expect(bad).toBe(0);
    expect(frames).toBe(Math.floor((400 * 128) / 240));
    expect(status.ints[StatusInt.CaptureFrames]).toBe(frames);
    expect(status.floats[StatusFloat.CapturePeak]).toBeGreaterThan(0.45);
    expect(status.floats[StatusFloat.CaptureRms]).toBeCloseTo(0.5 * Math.SQRT1_2, 1);
    expect(rec.events.filter((e) => e.type === 'capture-frame')).toHaveLength(0);
  });

  it('fallback: one capture-frame message per frame with senderTime, and impulse onsets as context frames', () => {
    const rec = recorder();
    const engine = new CaptureEngine({ sampleRate: SR, post: rec.post });
    engine.handle({
      type: 'init',
      version: AUDIO_WORKLET_VERSION,
      fallback: true,
      frameSamples: 120,
      benchmark: { enabled: true },
    });
    for (let b = 0; b < 100; b++) {
      const x = new Float32Array(128);
      if (b === 50) x[17] = 1;
      engine.process([[x]], [], 1000 + b * 128);
    }
    const frames = rec.events.filter((e) => e.type === 'capture-frame');
    expect(frames).toHaveLength(Math.floor(12800 / 120));
    expect(frames.map((f) => (f.type === 'capture-frame' ? f.senderTime : -1)).slice(0, 3)).toEqual([
      0, 120, 240,
    ]);
    expect(rec.events.filter((e) => e.type === 'impulse-detected')).toEqual([
      { type: 'impulse-detected', contextFrame: 1000 + 50 * 128 + 17 },
    ]);
    engine.handle({ type: 'set-frame-size', frameSamples: 480 });
    rec.events.length = 0;
    for (let b = 0; b < 15; b++) engine.process([[new Float32Array(128)]], [], 0);
    expect(
      rec.events
        .filter((e) => e.type === 'capture-frame')
        .every((f) => f.type === 'capture-frame' && f.frameSamples === 480),
    ).toBe(true);
  });
});

describe('registration', () => {
  it('registers both processors when loaded in a worklet scope, and the registered class pumps audio', () => {
    const { registered, posted } = stubWorkletScope(SR);
    try {
      registerPlaybackProcessor();
      registerCaptureProcessor();
      expect([...registered.keys()]).toEqual(['bandmesh-playback', 'bandmesh-capture']);
      const node = new (registered.get('bandmesh-playback')!)();
      node.port.onmessage!({
        data: { type: 'init', version: AUDIO_WORKLET_VERSION, fallback: true, frameSamples: 120 },
      });
      expect(node.process([], stereoOut())).toBe(true);
      expect(posted[0]).toMatchObject({ type: 'ready', processor: 'bandmesh-playback' });
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
