import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddress } from './client-address.js';

function request(remoteAddress: string, headers: Record<string, string | string[]> = {}): IncomingMessage {
  return { socket: { remoteAddress }, headers } as unknown as IncomingMessage;
}

describe('clientAddress', () => {
  it('is the socket address when no proxy is trusted, whatever the headers say', () => {
    expect(clientAddress(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.7' }), null)).toBe('127.0.0.1');
  });

  it('is the last address of the trusted header when the peer is the local proxy', () => {
    expect(clientAddress(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.7' }), 'X-Forwarded-For')).toBe(
      '203.0.113.7',
    );
    expect(
      clientAddress(
        request('::ffff:127.0.0.1', { 'x-forwarded-for': '10.9.9.9, 198.51.100.2' }),
        'X-Forwarded-For',
      ),
    ).toBe('198.51.100.2');
    expect(clientAddress(request('::1', { 'x-real-ip': '2001:db8::5' }), 'X-Real-IP')).toBe('2001:db8::5');
  });

  it('ignores the header from a peer that is not on loopback (a client reaching the relay directly)', () => {
    expect(
      clientAddress(request('198.51.100.9', { 'x-forwarded-for': '203.0.113.7' }), 'X-Forwarded-For'),
    ).toBe('198.51.100.9');
  });

  it('falls back to the socket address when the header is missing or not an address', () => {
    expect(clientAddress(request('127.0.0.1'), 'X-Forwarded-For')).toBe('127.0.0.1');
    expect(clientAddress(request('127.0.0.1', { 'x-forwarded-for': 'evil' }), 'X-Forwarded-For')).toBe(
      '127.0.0.1',
    );
  });
});
