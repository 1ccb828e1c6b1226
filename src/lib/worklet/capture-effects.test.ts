import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  PARAM_BYTES,
  SAMPLE_RING_BYTES,
  SAMPLE_RING_CAPACITY,
  STATUS_BYTES,
  SampleRing,
} from '../protocol/audio-layout.js';
import { AUDIO_WORKLET_VERSION, type WorkletEvent } from '../protocol/audio-worklet.js';
import { DEFAULT_EFFECTS, PRESETS, type EffectSettings } from '../protocol/effects.js';
import { CaptureEngine } from './capture-processor.js';

/**
 * The capture engine with input effects: they change what is sent, the reverb only what is monitored,
 * bypass sends the input to the bit, bad `effects` commands are refused with a reason, and process()
 * still makes no typed-array views or copies with everything on.
 */
const TypedArrayProto = Object.getPrototypeOf(Float32Array.prototype) as Float32Array;
afterEach(() => vi.restoreAllMocks());

function setup(channels: 1 | 2) {
  const posted: WorkletEvent[] = [];
  const engine = new CaptureEngine({ sampleRate: 48000, post: (e) => void posted.push(e) });
  const buffers = {
    capture: new SharedArrayBuffer(SAMPLE_RING_BYTES),
    status: new SharedArrayBuffer(STATUS_BYTES),
    params: new SharedArrayBuffer(PARAM_BYTES),
  };
  engine.handle({
    type: 'init',
    version: AUDIO_WORKLET_VERSION,
    fallback: false,
    buffers,
    frameSamples: 120,
    channels,
  });
  // MonitorGain defaults to 0 in a fresh shared block: turn the monitor on.
  new Float32Array(buffers.params)[0] = 1;
  const ring = new SampleRing(buffers.capture);
  const drain = new Float32Array(SAMPLE_RING_CAPACITY);
  return { engine, posted, ring, drain };
}

/**
 * Runs `quanta` quanta of a 330 Hz sine; returns the samples sent (interleaved), the monitor's left and
 * the send output's left (what the track path carries).
 */
function run(engine: CaptureEngine, ring: SampleRing, drain: Float32Array, quanta: number, channels = 1) {
  const sent: number[] = [];
  const monitor: number[] = [];
  const sendOut: number[] = [];
  const out = [
    [new Float32Array(128), new Float32Array(128)],
    Array.from({ length: channels }, () => new Float32Array(128)),
  ];
  for (let q = 0; q < quanta; q++) {
    const a = new Float32Array(128);
    for (let i = 0; i < 128; i++) a[i] = 0.3 * Math.sin((2 * Math.PI * 330 * (q * 128 + i)) / 48000);
    const input = channels === 2 ? [a, a.map((v) => -v)] : [a];
    engine.process([input], out, q * 128);
    const got = ring.read(drain, ring.availableRead());
    for (let i = 0; i < got; i++) sent.push(drain[i]!);
    for (let i = 0; i < 128; i++) monitor.push(out[0]![0]![i]!);
    for (let i = 0; i < 128; i++) sendOut.push(out[1]![0]![i]!);
  }
  return {
    sent: Float32Array.from(sent),
    monitor: Float32Array.from(monitor),
    sendOut: Float32Array.from(sendOut),
  };
}

const reverbOnly: EffectSettings = { ...DEFAULT_EFFECTS, reverb: { on: true, mix: 1, size: 0.6 } };

describe('CaptureEngine effects', () => {
  it('bypassed: sends the input bit for bit (mono and stereo)', () => {
    for (const ch of [1, 2] as const) {
      const plain = setup(ch);
      const withFx = setup(ch);
      withFx.engine.handle({ type: 'effects', settings: DEFAULT_EFFECTS });
      const a = run(plain.engine, plain.ring, plain.drain, 100, ch);
      const b = run(withFx.engine, withFx.ring, withFx.drain, 100, ch);
      expect(b.sent).toEqual(a.sent);
      expect(b.monitor).toEqual(a.monitor);
    }
  });

  it('a preset changes what is sent; the reverb changes only the monitor', () => {
    const plain = setup(1);
    const ref = run(plain.engine, plain.ring, plain.drain, 200);

    const preset = setup(1);
    preset.engine.handle({ type: 'effects', settings: { ...PRESETS.voice, reverb: DEFAULT_EFFECTS.reverb } });
    const p = run(preset.engine, preset.ring, preset.drain, 200);
    expect(p.sent).not.toEqual(ref.sent);

    const rev = setup(1);
    rev.engine.handle({ type: 'effects', settings: reverbOnly });
    const r = run(rev.engine, rev.ring, rev.drain, 200);
    expect(r.sent).toEqual(ref.sent); // the dry signal is sent
    expect(r.monitor).not.toEqual(ref.monitor); // and the player hears the room
    expect(rev.posted.filter((e) => e.type === 'error')).toEqual([]);
  });

  it('the send output carries what is framed (the track path hears the effects, not the reverb)', () => {
    for (const settings of [DEFAULT_EFFECTS, PRESETS.voice, reverbOnly]) {
      const s = setup(1);
      s.engine.handle({ type: 'effects', settings });
      const r = run(s.engine, s.ring, s.drain, 200);
      // Framing holds back at most one frame: every framed sample is the send output's, in order.
      expect(r.sent.length).toBeGreaterThan(r.sendOut.length - 120 - 1);
      expect(r.sendOut.subarray(0, r.sent.length)).toEqual(r.sent);
    }
  });

  it.each([
    [{ type: 'effects' }, 'unrecognised message'],
    [{ type: 'effects', settings: 'loud' }, 'unrecognised message'],
    [
      {
        type: 'effects',
        settings: { ...DEFAULT_EFFECTS, compressor: { ...DEFAULT_EFFECTS.compressor, ratio: 0 } },
      },
      'effects: compressor.ratio must be a number from 1 to 20',
    ],
    [
      { type: 'effects', settings: { ...DEFAULT_EFFECTS, reverb: { on: true, mix: 1e9, size: 0.5 } } },
      'effects: reverb.mix must be a number from 0 to 1',
    ],
  ])('refuses %j and keeps running with the previous settings', (message, reason) => {
    const s = setup(1);
    s.engine.handle({ type: 'effects', settings: DEFAULT_EFFECTS });
    s.engine.handle(message);
    expect(s.posted.filter((e) => e.type === 'error')).toEqual([
      { type: 'error', code: 'bad-message', message: reason },
    ]);
    const plain = setup(1);
    expect(run(s.engine, s.ring, s.drain, 20).sent).toEqual(
      run(plain.engine, plain.ring, plain.drain, 20).sent,
    );
  });

  it.each([1, 2])('process() with every effect on (%i ch) makes no views or copies', (channels) => {
    const s = setup(channels as 1 | 2);
    s.engine.handle({ type: 'effects', settings: PRESETS.drums });
    const input = [new Float32Array(128).fill(0.25), new Float32Array(128).fill(-0.25)].slice(0, channels);
    const out = [
      [new Float32Array(128), new Float32Array(128)],
      Array.from({ length: channels }, () => new Float32Array(128)),
    ];
    const subarray = vi.spyOn(TypedArrayProto, 'subarray');
    const slice = vi.spyOn(TypedArrayProto, 'slice');
    const map = vi.spyOn(TypedArrayProto, 'map');
    let views = 0;
    for (let q = 0; q < 300; q++) {
      s.engine.process([input], out, q * 128);
      views += subarray.mock.calls.length + slice.mock.calls.length + map.mock.calls.length;
      s.ring.read(s.drain, s.ring.availableRead());
      subarray.mockClear();
      slice.mockClear();
      map.mockClear();
    }
    expect(views).toBe(0);
  });
});
