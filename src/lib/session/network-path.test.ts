import { describe, expect, it } from 'vitest';
import { networkPathOf } from './network-path';

const base = { deltas: null, mode: 'mesh' as const, link: null, route: 'data' as const };

describe('networkPathOf', () => {
  it('names the path its frames came on in the last sample', () => {
    expect(networkPathOf({ ...base, deltas: { sfu: 400, direct: 0 }, mode: 'sfu' })).toBe('relay');
    expect(networkPathOf({ ...base, deltas: { sfu: 0, direct: 400 }, link: { iceRoute: null } })).toBe(
      'direct',
    );
    expect(networkPathOf({ ...base, deltas: { sfu: 0, direct: 400 }, link: { iceRoute: 'turn' } })).toBe(
      'turn',
    );
  });

  it('during a changeover, names the path the room moves to', () => {
    const both = { sfu: 400, direct: 400 };
    const link = { iceRoute: 'direct' as const };
    expect(networkPathOf({ ...base, deltas: both, link, mode: 'sfu' })).toBe('relay');
    expect(networkPathOf({ ...base, deltas: both, link, mode: 'mesh' })).toBe('direct');
    // Still arriving only through the SFU while the room goes back to the mesh.
    expect(networkPathOf({ ...base, deltas: { sfu: 400, direct: 0 }, link, mode: 'mesh' })).toBe('relay');
  });

  it('names the track path by its link, and nothing when nothing arrives', () => {
    expect(networkPathOf({ ...base, route: 'track', link: { iceRoute: 'turn' } })).toBe('turn');
    expect(networkPathOf({ ...base, route: 'track' })).toBeNull();
    expect(
      networkPathOf({ ...base, deltas: { sfu: 0, direct: 0 }, link: { iceRoute: 'direct' } }),
    ).toBeNull();
  });
});
