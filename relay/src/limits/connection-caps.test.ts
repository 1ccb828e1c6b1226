import { describe, expect, it } from 'vitest';
import { addressKey, ConnectionCaps } from './connection-caps.js';

describe('ConnectionCaps', () => {
  it('refuses beyond the per-address cap and frees a slot exactly once on release', () => {
    const caps = new ConnectionCaps({ maxConnections: 100, maxConnectionsPerIp: 2 });
    const first = caps.acquire('10.0.0.1');
    const second = caps.acquire('10.0.0.1');
    expect(first.ok && second.ok).toBe(true);
    expect(caps.acquire('10.0.0.1')).toEqual({ ok: false, reason: 'per-ip' });
    expect(caps.acquire('10.0.0.2').ok).toBe(true);
    if (!first.ok) throw new Error('unreachable');
    first.release();
    first.release();
    expect(caps.total).toBe(2);
    expect(caps.acquire('10.0.0.1').ok).toBe(true);
    expect(caps.acquire('10.0.0.1')).toEqual({ ok: false, reason: 'per-ip' });
  });

  it('refuses beyond the total cap whatever the address', () => {
    const caps = new ConnectionCaps({ maxConnections: 2, maxConnectionsPerIp: 10 });
    expect(caps.acquire('10.0.0.1').ok).toBe(true);
    expect(caps.acquire('10.0.0.2').ok).toBe(true);
    expect(caps.acquire('10.0.0.3')).toEqual({ ok: false, reason: 'total' });
  });

  it('counts IPv4-mapped addresses as IPv4 and IPv6 hosts by their /64', () => {
    expect(addressKey('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(addressKey('127.0.0.1')).toBe('127.0.0.1');
    expect(addressKey('2001:db8:1:2::5')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey(undefined)).toBe('unknown');
    const caps = new ConnectionCaps({ maxConnections: 10, maxConnectionsPerIp: 1 });
    expect(caps.acquire('2001:db8:1:2::5').ok).toBe(true);
    expect(caps.acquire('2001:db8:1:2::6')).toEqual({ ok: false, reason: 'per-ip' });
  });
});
