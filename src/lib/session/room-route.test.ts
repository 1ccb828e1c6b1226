import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RoomRoute, type RouteCounters } from './room-route';

function setup(options: { meshActive?: boolean; keepSfuLink?: boolean } = {}) {
  const calls: string[] = [];
  const mesh = {
    active: options.meshActive ?? false,
    setActive(active: boolean, reason?: string) {
      if (mesh.active === active) return;
      mesh.active = active;
      calls.push(`mesh:${active ? 'on' : `off(${reason})`}`);
    },
  };
  const route = new RoomRoute({
    mesh,
    sfu: { open: () => calls.push('sfu:open'), close: () => calls.push('sfu:close') },
    audio: {
      setSfuSources: (sources) =>
        calls.push(`sources:${sources.map((s) => `${s.index}=${s.sourceKey}`).join(',')}`),
      setSfuSending: (enabled) => calls.push(`sending:${enabled}`),
    },
    routeWaitMs: 2000,
    closeGraceMs: 2000,
    maxOverlapMs: 15_000,
    keepSfuLink: options.keepSfuLink ?? false,
  });
  const phases: string[] = [];
  route.events.on('phase', (p) => phases.push(p));
  // Cumulative counters per source, advanced per sample like the Worker's stats.
  const totals = new Map<string, { received: number; sfu: number }>();
  const sample = (arrivals: Record<string, { direct?: number; sfu?: number }>) => {
    const sources: RouteCounters[] = [];
    for (const key of new Set([...totals.keys(), ...Object.keys(arrivals)])) {
      const t = totals.get(key) ?? { received: 0, sfu: 0 };
      const a = arrivals[key] ?? {};
      t.received += (a.direct ?? 0) + (a.sfu ?? 0);
      t.sfu += a.sfu ?? 0;
      totals.set(key, t);
      sources.push({ sourceKey: key, framesReceived: t.received, sfuFrames: t.sfu });
    }
    route.stats(sources);
  };
  return { route, calls, phases, mesh, sample };
}

const sources = [
  { peerId: 'peer-a', index: 0 },
  { peerId: 'peer-b', index: 1 },
];

describe('RoomRoute', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('forms the mesh on a first mesh route, and never on a first SFU route (a newcomer to a big room)', () => {
    const meshRoom = setup();
    meshRoom.route.route({ mode: 'mesh', sources });
    expect(meshRoom.calls).toEqual(['sources:0=peer-a,1=peer-b', 'mesh:on']);
    expect(meshRoom.route.phase).toBe('mesh');

    const sfuRoom = setup();
    sfuRoom.route.route({ mode: 'sfu', sources });
    expect(sfuRoom.calls).toEqual(['sources:0=peer-a,1=peer-b', 'sfu:open', 'sending:true']);
    expect(sfuRoom.route.phase).toBe('sfu');
    expect(sfuRoom.mesh.active).toBe(false);
  });

  it('forms the mesh if no room-route follows the subscribe in time (a relay without an SFU)', async () => {
    const { route, calls } = setup();
    route.subscribed();
    await vi.advanceTimersByTimeAsync(1999);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual(['sources:', 'mesh:on']);
    expect(route.mode).toBe('mesh');
  });

  it('mesh → SFU: runs both paths until every playing source arrives through the SFU, then drops the mesh', () => {
    const { route, calls, phases, sample } = setup();
    route.route({ mode: 'mesh', sources });
    sample({ 'peer-a': { direct: 400 }, 'peer-b': { direct: 400 } });
    calls.length = 0;
    route.route({ mode: 'sfu', sources });
    expect(calls).toEqual(['sources:0=peer-a,1=peer-b', 'sfu:open', 'sending:true']);
    expect(route.phase).toBe('to-sfu');
    sample({ 'peer-a': { direct: 400, sfu: 100 }, 'peer-b': { direct: 400 } }); // baseline sample
    sample({ 'peer-a': { direct: 400, sfu: 400 }, 'peer-b': { direct: 400 } }); // b not through yet
    expect(route.phase).toBe('to-sfu');
    expect(route.deltasOf('peer-b')).toEqual({ sfu: 0, direct: 400 });
    sample({ 'peer-a': { direct: 400, sfu: 400 }, 'peer-b': { direct: 400, sfu: 390 }, 'peer-c': {} });
    expect(route.phase).toBe('sfu');
    expect(calls.at(-1)).toBe('mesh:off(sfu)');
    expect(phases).toEqual(['mesh', 'to-sfu', 'sfu']);
  });

  it('SFU → mesh: stops sending to the SFU once every source arrives directly, and closes it after a grace', async () => {
    const { route, calls, sample } = setup();
    route.route({ mode: 'sfu', sources });
    sample({ 'peer-a': { sfu: 400 }, 'peer-b': { sfu: 400 } });
    calls.length = 0;
    route.route({ mode: 'mesh', sources });
    expect(calls).toEqual(['sources:0=peer-a,1=peer-b', 'mesh:on']);
    expect(route.phase).toBe('to-mesh');
    sample({ 'peer-a': { sfu: 400, direct: 50 }, 'peer-b': { sfu: 400 } });
    sample({ 'peer-a': { sfu: 400, direct: 400 }, 'peer-b': { sfu: 400 } }); // b's pair not up yet
    expect(route.phase).toBe('to-mesh');
    sample({ 'peer-a': { sfu: 100, direct: 400 }, 'peer-b': { sfu: 400, direct: 400 } });
    expect(route.phase).toBe('mesh');
    expect(calls.slice(2)).toEqual(['sending:false']);
    await vi.advanceTimersByTimeAsync(1999);
    expect(calls.at(-1)).toBe('sending:false');
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.at(-1)).toBe('sfu:close');
    expect(route.sfuOpen).toBe(false);
  });

  it('with keepSfuLink, leaves the SFU link open and idle on the mesh, and reuses it on the next switch', async () => {
    const { route, calls, sample } = setup({ keepSfuLink: true });
    route.route({ mode: 'sfu', sources });
    sample({ 'peer-a': { sfu: 400 }, 'peer-b': { sfu: 400 } });
    route.route({ mode: 'mesh', sources });
    sample({ 'peer-a': { sfu: 400, direct: 400 }, 'peer-b': { sfu: 400, direct: 400 } });
    sample({ 'peer-a': { sfu: 100, direct: 400 }, 'peer-b': { sfu: 100, direct: 400 } });
    expect(route.phase).toBe('mesh');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toContain('sending:false');
    expect(calls).not.toContain('sfu:close');
    expect(route.sfuOpen).toBe(true);
    calls.length = 0;
    route.route({ mode: 'sfu', sources });
    expect(calls).toContain('sending:true');
    expect(route.phase).toBe('to-sfu');
  });

  it('does not wait for sources that send nothing (their audio is off)', () => {
    const { route, sample } = setup();
    route.route({ mode: 'mesh', sources });
    route.route({ mode: 'sfu', sources });
    sample({ 'peer-a': {}, 'peer-b': { direct: 400 } });
    sample({ 'peer-a': {}, 'peer-b': { sfu: 400 } });
    expect(route.phase).toBe('sfu');
  });

  it('drops the mesh after the longest overlap even if a source never came through the SFU', async () => {
    const { route, calls, sample } = setup();
    route.route({ mode: 'mesh', sources });
    route.route({ mode: 'sfu', sources });
    sample({ 'peer-a': { direct: 400 } });
    sample({ 'peer-a': { direct: 400 } });
    await vi.advanceTimersByTimeAsync(14_999);
    expect(route.phase).toBe('to-sfu');
    await vi.advanceTimersByTimeAsync(1);
    expect(route.phase).toBe('sfu');
    expect(calls.at(-1)).toBe('mesh:off(sfu)');
  });

  it('keeps the SFU when the room flips back before its link closed, and back and forth in between', async () => {
    const { route, calls, sample, mesh } = setup();
    route.route({ mode: 'sfu', sources });
    route.route({ mode: 'mesh', sources });
    sample({ 'peer-a': { sfu: 400 } });
    sample({ 'peer-a': { direct: 400 } });
    expect(route.phase).toBe('mesh');
    route.route({ mode: 'sfu', sources }); // within the close grace
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls.filter((c) => c === 'sfu:close')).toEqual([]);
    expect(route.phase).toBe('to-sfu');
    route.route({ mode: 'mesh', sources }); // mid-changeover: back again
    expect(route.phase).toBe('to-mesh');
    expect(mesh.active).toBe(true);
    route.dispose();
    route.dispose();
    route.route({ mode: 'sfu', sources });
    expect(route.phase).toBe('to-mesh');
  });
});
