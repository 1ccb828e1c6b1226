import { describe, expect, it } from 'vitest';
import { LinkPingKind, readLinkPing, writeLinkPing } from '../../protocol/link-ping';
import { TransportLink, type FrameTransport } from './transport-link';

/** Two links joined back to back by an in-memory channel (delivered on `flush`), with a settable clock. */
function pair() {
  let now = 1000;
  const queue: Array<() => void> = [];
  const flush = () => {
    for (const deliver of queue.splice(0)) deliver();
  };
  const frames: Array<{ to: string; bytes: Uint8Array }> = [];
  const make = (name: string, deliver: (bytes: Uint8Array) => void) => {
    const transport: FrameTransport & { sent: number; bufferedAmount: number; open: boolean } = {
      open: true,
      bufferedAmount: 0,
      sent: 0,
      send: (b: Uint8Array) => (transport.sent++, deliver(b)),
      close: () => (transport.open = false),
    };
    const link = new TransportLink({
      id: name,
      sourceKey: `source-of-${name}`,
      transport,
      now: () => now,
      onFrame: (bytes) => frames.push({ to: name, bytes }),
    });
    return [link, transport] as const;
  };
  // eslint-disable-next-line prefer-const
  let b: TransportLink;
  const [a, aTransport] = make('a', (bytes) => queue.push(() => b.receive(bytes)));
  const [bLink] = make('b', (bytes) => queue.push(() => a.receive(bytes)));
  b = bLink;
  return { a, b, aTransport, frames, flush, tick: (ms: number) => (now += ms) };
}

describe('TransportLink', () => {
  it('hands audio frames to its source and keeps probes to itself', () => {
    const { a, b, frames, flush } = pair();
    a.send(new Uint8Array([2, 1, 1]));
    a.ping();
    flush();
    expect(frames.map((f) => [f.to, [...f.bytes]])).toEqual([['b', [2, 1, 1]]]);
    b.receive(new Uint8Array([0x80, 1])); // a malformed probe
    expect(b.badPings).toBe(1);
    expect(a.framesSent).toBe(1);
  });

  it('measures round-trip time with pings answered by the other side', () => {
    const { a, flush, tick } = pair();
    expect(a.rttMs).toBeNull();
    a.ping();
    tick(5);
    flush(); // b answers
    tick(7);
    flush(); // a gets the pong 12 ms after sending
    expect(a.rttMs).toBe(12);
    a.ping();
    tick(2);
    flush();
    flush();
    expect(a.rttMs).toBeCloseTo(12 + 0.2 * (2 - 12), 6); // smoothed
  });

  it('answers pings with clock pongs: the far side learns our clock offset and our capture anchor', () => {
    // b's clock reads 123.4 ms ahead of a's; the channel takes 3 ms each way.
    let now = 1_000_000;
    const links: { a?: TransportLink; b?: TransportLink } = {};
    const wire = (to: 'a' | 'b'): FrameTransport => ({
      open: true,
      bufferedAmount: 0,
      send: (bytes) => {
        now += 3;
        links[to]!.receive(bytes);
      },
      close: () => undefined,
    });
    let anchor: { senderTime: number; epochMs: number } | null = null;
    links.a = new TransportLink({
      id: 'a',
      sourceKey: 'b',
      transport: wire('b'),
      now: () => now,
      onFrame: () => {},
    });
    links.b = new TransportLink({
      id: 'b',
      sourceKey: 'a',
      transport: wire('a'),
      now: () => now + 123.4,
      onFrame: () => {},
      anchor: () => anchor,
    });
    const a = links.a;
    a.ping();
    expect(a.rttMs).toBe(6);
    expect(a.clockOffset()?.offsetMs).toBeCloseTo(123.4, 9);
    expect(a.remoteAnchor).toBeNull(); // b had no anchor yet
    anchor = { senderTime: 4800, epochMs: 5_000 };
    a.ping();
    expect(a.remoteAnchor).toEqual(anchor);
    expect(a.clockOffset()!.uncertaintyMs).toBeGreaterThanOrEqual(3);
  });

  it('takes a short pong (the relay’s, or an older player’s) for the round trip alone', () => {
    let now = 50;
    const sent: Uint8Array[] = [];
    const transport: FrameTransport = {
      open: true,
      bufferedAmount: 0,
      send: (b) => void sent.push(b),
      close: () => {},
    };
    const link = new TransportLink({ id: 'x', sourceKey: 'y', transport, now: () => now, onFrame: () => {} });
    link.ping();
    now += 4;
    link.receive(writeLinkPing(LinkPingKind.Pong, 0, readLinkPing(sent[0]!)!.timeMs));
    expect(link.rttMs).toBe(4);
    expect(link.clockOffset()).toBeNull();
    expect(link.badPings).toBe(0);
  });

  it('skips sending when the channel is backed up, and stops after close', () => {
    const { a, aTransport } = pair();
    aTransport.bufferedAmount = 1 << 20;
    a.send(new Uint8Array([2]));
    expect(a.framesSent).toBe(0);
    expect(a.skippedSends).toBe(1);
    aTransport.bufferedAmount = 0;
    a.close();
    a.close();
    a.send(new Uint8Array([2]));
    expect(aTransport.sent).toBe(0);
    expect(aTransport.open).toBe(false);
  });
});
