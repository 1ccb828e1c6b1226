import { describe, expect, it, vi } from 'vitest';
import { FrameClock, type FrameHost } from './frame-clock';

/** A display at `hz` with a manual clock: frames fire at vsyncs, timers at their due time. */
function fakeHost(hz = 60) {
  const period = 1000 / hz;
  let now = 0;
  let nextId = 1;
  const frames = new Map<number, (time: number) => void>();
  const timers = new Map<number, { due: number; callback: () => void }>();
  const listeners = new Set<() => void>();
  let requested = 0;
  const doc = {
    hidden: false,
    addEventListener: (_: string, l: () => void) => listeners.add(l),
    removeEventListener: (_: string, l: () => void) => listeners.delete(l),
  };
  const host = {
    requestAnimationFrame(callback: (time: number) => void) {
      requested++;
      frames.set(nextId, callback);
      return nextId++;
    },
    cancelAnimationFrame: (id: number) => void frames.delete(id),
    setTimeout(callback: () => void, ms: number) {
      timers.set(nextId, { due: now + ms, callback });
      return nextId++;
    },
    clearTimeout: (id: unknown) => void timers.delete(id as number),
    now: () => now,
    document: doc,
  } as unknown as FrameHost;
  return {
    host,
    doc,
    get now() {
      return now;
    },
    get requested() {
      return requested;
    },
    get pending() {
      return frames.size + timers.size;
    },
    get visibilityListeners() {
      return listeners.size;
    },
    setHidden(hidden: boolean) {
      doc.hidden = hidden;
      for (const l of [...listeners]) l();
    },
    /** Runs the clock until `ms`: timers as they fall due, frame callbacks at each vsync. */
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const nextVsync = (Math.floor(now / period + 1e-9) + 1) * period;
        const timer = [...timers.entries()].sort((a, b) => a[1].due - b[1].due)[0];
        const at = Math.min(nextVsync, timer ? timer[1].due : Infinity);
        if (at > end) break;
        now = at;
        if (timer && timer[1].due === at) {
          timers.delete(timer[0]);
          timer[1].callback();
          continue;
        }
        const due = [...frames.values()];
        frames.clear();
        for (const callback of due) callback(now);
      }
      now = end;
    },
  };
}

describe('FrameClock', () => {
  it('ticks at about 30 Hz on a 60 Hz display, two frames or more apart, one frame request per tick', () => {
    const fake = fakeHost(60);
    const clock = new FrameClock({ host: fake.host });
    const times: number[] = [];
    clock.subscribe(() => times.push(fake.now));
    fake.advance(1000);
    expect(times.length).toBeGreaterThanOrEqual(28);
    expect(times.length).toBeLessThanOrEqual(31);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThan(33);
    expect(Math.max(...gaps)).toBeLessThan(51);
    expect(fake.requested).toBeLessThanOrEqual(times.length + 1);
  });

  it('keeps about 30 Hz on faster displays', () => {
    for (const hz of [120, 144]) {
      const fake = fakeHost(hz);
      const clock = new FrameClock({ host: fake.host });
      const tick = vi.fn();
      clock.subscribe(tick);
      fake.advance(1000);
      expect(tick.mock.calls.length).toBeGreaterThanOrEqual(28);
      expect(tick.mock.calls.length).toBeLessThanOrEqual(31);
    }
  });

  it('lines up separate clocks on one page on the same frames', () => {
    const fake = fakeHost(60);
    const a = new FrameClock({ host: fake.host });
    const b = new FrameClock({ host: fake.host });
    const ticksA: number[] = [];
    const ticksB: number[] = [];
    a.subscribe(() => ticksA.push(fake.now));
    fake.advance(50); // b starts out of phase with a
    b.subscribe(() => ticksB.push(fake.now));
    fake.advance(500);
    const since = fake.now - 400;
    expect(ticksB.filter((t) => t > since)).toEqual(ticksA.filter((t) => t > since));
    expect(ticksA.filter((t) => t > since).length).toBeGreaterThanOrEqual(11);
  });

  it('calls every listener per tick and stops when the last one leaves; unsubscribe is idempotent', () => {
    const fake = fakeHost();
    const clock = new FrameClock({ host: fake.host });
    const a = vi.fn();
    const b = vi.fn();
    const offA = clock.subscribe(a);
    const offB = clock.subscribe(b);
    fake.advance(100);
    expect(a).toHaveBeenCalled();
    expect(b.mock.calls.length).toBe(a.mock.calls.length);
    offA();
    offA();
    fake.advance(100);
    expect(b.mock.calls.length).toBeGreaterThan(a.mock.calls.length);
    offB();
    expect(clock.running).toBe(false);
    expect(fake.pending).toBe(0);
    expect(fake.visibilityListeners).toBe(0);
    const calls = b.mock.calls.length;
    fake.advance(200);
    expect(b.mock.calls.length).toBe(calls);
  });

  it('lets a listener unsubscribe itself during a tick', () => {
    const fake = fakeHost();
    const clock = new FrameClock({ host: fake.host });
    let off = () => undefined as void;
    const tick = vi.fn(() => off());
    off = clock.subscribe(tick);
    fake.advance(200);
    expect(tick).toHaveBeenCalledTimes(1);
    expect(fake.pending).toBe(0);
  });

  it('pauses while the document is hidden and resumes when it is shown', () => {
    const fake = fakeHost();
    const clock = new FrameClock({ host: fake.host });
    const tick = vi.fn();
    clock.subscribe(tick);
    fake.advance(100);
    fake.setHidden(true);
    expect(fake.pending).toBe(0);
    const calls = tick.mock.calls.length;
    fake.advance(500);
    expect(tick.mock.calls.length).toBe(calls);
    fake.setHidden(false);
    fake.advance(20);
    expect(tick.mock.calls.length).toBe(calls + 1);
  });

  it('does not start while hidden', () => {
    const fake = fakeHost();
    fake.doc.hidden = true;
    const clock = new FrameClock({ host: fake.host });
    const tick = vi.fn();
    clock.subscribe(tick);
    fake.advance(200);
    expect(tick).not.toHaveBeenCalled();
    fake.setHidden(false);
    fake.advance(20);
    expect(tick).toHaveBeenCalledTimes(1);
  });

  it('stops for good on dispose, twice; later subscriptions are inert', () => {
    const fake = fakeHost();
    const clock = new FrameClock({ host: fake.host });
    const tick = vi.fn();
    const off = clock.subscribe(tick);
    fake.advance(50);
    clock.dispose();
    clock.dispose();
    off();
    expect(fake.pending).toBe(0);
    expect(fake.visibilityListeners).toBe(0);
    const late = vi.fn();
    clock.subscribe(late)();
    fake.advance(200);
    expect(late).not.toHaveBeenCalled();
    expect(fake.pending).toBe(0);
  });

  it('keeps ticking when a listener throws', () => {
    const fake = fakeHost();
    const clock = new FrameClock({ host: fake.host });
    clock.subscribe(() => {
      throw new Error('boom');
    });
    expect(() => fake.advance(20)).toThrow('boom');
    expect(clock.running).toBe(true);
  });

  it('never ticks without requestAnimationFrame (server rendering)', () => {
    const clock = new FrameClock({ host: null });
    const tick = vi.fn();
    const off = clock.subscribe(tick);
    expect(clock.running).toBe(false);
    off();
    clock.dispose();
  });
});
