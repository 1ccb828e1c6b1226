import { describe, expect, it } from 'vitest';
import { DEFAULT_EFFECTS, PRESETS, type EffectSettings } from '../../../protocol/effects.js';
import { EffectChain } from './effect-chain.js';
import { inQuanta, maxStep, rms, sine } from './test-signals.js';

const SR = 48000;
const allOn: EffectSettings = PRESETS.voice;

function noisySine(n: number): Float32Array {
  const x = sine(330, 0.3, n);
  let seed = 1;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    x[i] = x[i]! + (seed / 0x7fffffff - 0.5) * 0.01;
  }
  return x;
}

describe('EffectChain', () => {
  it('all bypassed: the send path is bit-exact, stereo too', () => {
    const chain = new EffectChain(SR);
    chain.set(DEFAULT_EFFECTS);
    const a = noisySine(SR);
    const b = noisySine(SR).map((v) => -v);
    const a0 = a.slice();
    const b0 = b.slice();
    const qa = new Float32Array(128);
    const qb = new Float32Array(128);
    for (let s = 0; s + 128 <= a.length; s += 128) {
      qa.set(a.subarray(s, s + 128));
      qb.set(b.subarray(s, s + 128));
      chain.processSend(qa, qb, 128);
      a.set(qa, s);
      b.set(qb, s);
    }
    expect(a).toEqual(a0);
    expect(b).toEqual(b0);
    expect(chain.reverbActive).toBe(false);
  });

  it('switched on then off again: bit-exact once the 10 ms fade is over', () => {
    const chain = new EffectChain(SR);
    chain.set(allOn);
    const x = noisySine(SR);
    const x0 = x.slice();
    let s = 0;
    inQuanta(x, (q, n) => {
      if (s === 128 * 100) chain.set(DEFAULT_EFFECTS);
      s += n;
      chain.processSend(q, null, n);
    });
    // Effects were on (the output differed) …
    expect(rms(x.subarray(0, 12800).map((v, i) => v - x0[i]!))).toBeGreaterThan(1e-3);
    // … and after the fade (480 samples) the output is the input, to the bit.
    const after = 128 * 100 + 512;
    expect(x.subarray(after)).toEqual(x0.subarray(after));
  });

  it('toggling every effect on a running note does not click', () => {
    const chain = new EffectChain(SR);
    chain.set(DEFAULT_EFFECTS);
    const x = sine(330, 0.3, SR);
    const own = maxStep(sine(330, 0.3 * 10 ** (12 / 20), SR));
    let s = 0;
    inQuanta(x, (q, n) => {
      const k = s / 128;
      if (k === 50) chain.set(allOn);
      if (k === 200) chain.set(DEFAULT_EFFECTS);
      if (k === 300) chain.set(PRESETS.drums);
      s += n;
      chain.processSend(q, null, n);
    });
    // No step larger than the same note's own at the loudest the chain can make it here (+12 dB).
    expect(maxStep(x)).toBeLessThan(own);
  });

  it('reverb: only on the monitor render, fades in and out', () => {
    const chain = new EffectChain(SR);
    chain.set({ ...DEFAULT_EFFECTS, reverb: { on: true, mix: 1, size: 0.5 } });
    expect(chain.reverbActive).toBe(true);
    const q = sine(330, 0.3, 128);
    const q0 = q.slice();
    const l = new Float32Array(128);
    const r = new Float32Array(128);
    let energy = 0;
    for (let k = 0; k < 100; k++) {
      chain.processSend(q, null, 128);
      chain.renderMonitorReverb(q, null, 128, l, r);
      energy += rms(l);
    }
    expect(q).toEqual(q0); // the sent signal is untouched by the reverb
    expect(energy).toBeGreaterThan(0);
    chain.set(DEFAULT_EFFECTS);
    for (let k = 0; k < 5; k++) chain.renderMonitorReverb(q, null, 128, l, r);
    expect(chain.reverbActive).toBe(false);
    expect(rms(l)).toBe(0);
  });
});
