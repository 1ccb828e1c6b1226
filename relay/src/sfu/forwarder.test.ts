import { describe, expect, it } from 'vitest';
import { LinkPingKind, readClockPong, writeLinkPing } from '../../../src/lib/protocol/link-ping.js';
import { SFU_BUNDLE_MAX_BYTES, SFU_MAX_UPSTREAM_BYTES, readBundle } from '../../../src/lib/protocol/sfu.js';
import { sealedFrame } from '../../../tests/support/sfu-player.js';
import { DropReason } from './drop-counters.js';
import {
  FLOOD_BURST_FRAMES,
  Forwarder,
  RECEIVER_BACKLOG_BYTES,
  type EndpointTransport,
} from './forwarder.js';

class FakeTransport implements EndpointTransport {
  readonly sent: Uint8Array[] = [];
  buffered = 0;
  send(bytes: Uint8Array): void {
    this.sent.push(bytes);
  }
  bufferedAmount(): number {
    return this.buffered;
  }
  /** Every frame received, as [source index, seq]. */
  frames(): [number, number][] {
    return this.sent.flatMap((b) => {
      const bundle = readBundle(b);
      if (!bundle.ok) throw new Error(`not a bundle: ${bundle.reason}`);
      return bundle.entries.map((e): [number, number] => [
        e.sourceIndex,
        new DataView(e.frame.buffer, e.frame.byteOffset).getUint32(4, true),
      ]);
    });
  }
}

function setup(options: { framesPerSecond?: number; burstFrames?: number } = {}) {
  let now = 0;
  const deferred: (() => void)[] = [];
  const forwarder = new Forwarder({
    now: () => now,
    defer: (flush) => deferred.push(flush),
    ...options,
  });
  const endpoint = (room: string, index: number) => {
    const transport = new FakeTransport();
    const e = forwarder.add(room, index, transport);
    forwarder.setOpen(e);
    return { e, t: transport };
  };
  /** Ends the event-loop turn: runs the deferred flushes. */
  const turn = () => {
    for (const flush of deferred.splice(0)) flush();
  };
  return { forwarder, endpoint, turn, advance: (ms: number) => (now += ms), deferred };
}

describe('Forwarder', () => {
  it('bundles the frames of one turn per receiver, stamped with the sender index, never back to the sender', () => {
    const { forwarder, endpoint, turn, deferred } = setup();
    const a = endpoint('r1', 10);
    const b = endpoint('r1', 11);
    const c = endpoint('r1', 12);
    forwarder.receive(a.e, sealedFrame(1));
    forwarder.receive(b.e, sealedFrame(100));
    forwarder.receive(a.e, sealedFrame(2));
    // Nothing leaves before the end of the turn, and one flush is scheduled for all receivers.
    expect(c.t.sent).toHaveLength(0);
    expect(deferred).toHaveLength(1);
    turn();
    expect(c.t.sent).toHaveLength(1);
    expect(c.t.frames()).toEqual([
      [10, 1],
      [11, 100],
      [10, 2],
    ]);
    expect(a.t.frames()).toEqual([[11, 100]]);
    expect(b.t.frames()).toEqual([
      [10, 1],
      [10, 2],
    ]);
    expect(forwarder.stats).toMatchObject({ received: 3, forwarded: 6, bundles: 3 });
    // The next turn starts empty.
    turn();
    expect(c.t.sent).toHaveLength(1);
  });

  it('sends a bundle as soon as the next frame would not fit, and keeps each under the size limit', () => {
    const { forwarder, endpoint, turn } = setup();
    const a = endpoint('r1', 1);
    const b = endpoint('r1', 2);
    const payload = 300; // 316-byte frames: three fit in 1,100 bytes with their entry headers
    for (let seq = 1; seq <= 4; seq++) forwarder.receive(a.e, sealedFrame(seq, payload));
    expect(b.t.sent).toHaveLength(1);
    expect(readBundle(b.t.sent[0]!)).toMatchObject({ ok: true });
    turn();
    expect(b.t.sent.map((x) => x.length)).toEqual([2 + 3 * (4 + 316), 2 + 4 + 316]);
    expect(b.t.frames().map(([, seq]) => seq)).toEqual([1, 2, 3, 4]);
    // The largest upstream frame fits a bundle alone.
    forwarder.receive(a.e, sealedFrame(5, SFU_MAX_UPSTREAM_BYTES - 16));
    turn();
    expect(b.t.sent.at(-1)!.length).toBe(SFU_BUNDLE_MAX_BYTES);
  });

  it('never forwards across rooms', () => {
    const { forwarder, endpoint, turn } = setup();
    const a = endpoint('r1', 0);
    const b = endpoint('r1', 1);
    const x = endpoint('r2', 0);
    forwarder.receive(a.e, sealedFrame(1));
    forwarder.receive(x.e, sealedFrame(9));
    turn();
    expect(b.t.frames()).toEqual([[0, 1]]);
    expect(x.t.sent).toHaveLength(0);
    expect(a.t.sent).toHaveLength(0);
  });

  it('answers a ping at once with a clock pong: id and time echoed, the relay’s epoch clock, no anchor', () => {
    const { forwarder, endpoint } = setup();
    const a = endpoint('r1', 0);
    const before = performance.timeOrigin + performance.now();
    forwarder.receive(a.e, writeLinkPing(LinkPingKind.Ping, 77, 12.5));
    const pong = readClockPong(a.t.sent[0]!);
    expect(pong).toMatchObject({ id: 77, pingMs: 12.5, anchor: null });
    expect(pong!.replyMs).toBeGreaterThanOrEqual(before);
    expect(pong!.replyMs).toBeLessThanOrEqual(performance.timeOrigin + performance.now());
  });

  it('drops and counts malformed, oversized, wrong-version, replayed and stale frames', () => {
    const { forwarder, endpoint, turn } = setup();
    const a = endpoint('r1', 0);
    const b = endpoint('r1', 1);
    const wrongVersion = sealedFrame(1);
    wrongVersion[0] = 2;
    forwarder.receive(a.e, 'text');
    forwarder.receive(a.e, new Uint8Array(0));
    forwarder.receive(a.e, new Uint8Array([3, 0, 0]));
    forwarder.receive(a.e, new Uint8Array([0x80, 1, 2])); // a ping of the wrong length
    forwarder.receive(a.e, sealedFrame(1, SFU_MAX_UPSTREAM_BYTES)); // 16 bytes too long
    forwarder.receive(a.e, wrongVersion);
    forwarder.receive(a.e, new Uint8Array([0x91, 1, 0, 0, 1, 0, 7])); // a bundle sent upstream
    forwarder.receive(a.e, sealedFrame(5000));
    forwarder.receive(a.e, sealedFrame(5000));
    forwarder.receive(a.e, sealedFrame(1));
    turn();
    expect(b.t.frames()).toEqual([[0, 5000]]);
    expect(forwarder.stats.dropped).toMatchObject({
      [DropReason.Malformed]: 4,
      [DropReason.Oversized]: 1,
      [DropReason.WrongVersion]: 2,
      [DropReason.Replayed]: 1,
      [DropReason.Stale]: 1,
    });
  });

  it('limits each sender to its frame budget without touching the others', () => {
    const { forwarder, endpoint, turn, advance } = setup({
      framesPerSecond: 1000,
      burstFrames: FLOOD_BURST_FRAMES,
    });
    const flooder = endpoint('r1', 0);
    const honest = endpoint('r1', 1);
    const c = endpoint('r1', 2);
    for (let seq = 1; seq <= 1000; seq++) forwarder.receive(flooder.e, sealedFrame(seq));
    forwarder.receive(honest.e, sealedFrame(1));
    turn();
    expect(forwarder.stats.dropped[DropReason.Flood]).toBe(1000 - FLOOD_BURST_FRAMES);
    expect(c.t.frames().filter(([i]) => i === 0)).toHaveLength(FLOOD_BURST_FRAMES);
    expect(c.t.frames().filter(([i]) => i === 1)).toHaveLength(1);
    // The budget refills with time: 10 ms later, 10 more frames go.
    advance(10);
    for (let seq = 1001; seq <= 1020; seq++) forwarder.receive(flooder.e, sealedFrame(seq));
    turn();
    expect(c.t.frames().filter(([i]) => i === 0)).toHaveLength(FLOOD_BURST_FRAMES + 10);
  });

  it('drops bundles for a receiver whose channel is backed up, and counts the frames', () => {
    const { forwarder, endpoint, turn } = setup();
    const a = endpoint('r1', 0);
    const slow = endpoint('r1', 1);
    const fast = endpoint('r1', 2);
    slow.t.buffered = RECEIVER_BACKLOG_BYTES + 1;
    forwarder.receive(a.e, sealedFrame(1));
    forwarder.receive(a.e, sealedFrame(2));
    turn();
    expect(slow.t.sent).toHaveLength(0);
    expect(fast.t.frames()).toHaveLength(2);
    expect(forwarder.stats.dropped[DropReason.ReceiverBacklog]).toBe(2);
    slow.t.buffered = 0;
    forwarder.receive(a.e, sealedFrame(3));
    turn();
    expect(slow.t.frames()).toEqual([[0, 3]]);
  });

  it('forwards nothing from or to an endpoint before it opens or after it is removed', () => {
    const { forwarder, turn } = setup();
    const ta = new FakeTransport();
    const tb = new FakeTransport();
    const a = forwarder.add('r1', 0, ta);
    const b = forwarder.add('r1', 1, tb);
    forwarder.receive(a, sealedFrame(1));
    expect(forwarder.stats.dropped[DropReason.NoRoom]).toBe(1);
    forwarder.setOpen(a);
    forwarder.receive(a, sealedFrame(2));
    turn();
    expect(tb.sent).toHaveLength(0);
    forwarder.setOpen(b);
    forwarder.receive(a, sealedFrame(3));
    forwarder.remove(b);
    turn();
    expect(tb.sent).toHaveLength(0);
    forwarder.remove(b);
    forwarder.remove(a);
    expect(forwarder.endpointCount).toBe(0);
    forwarder.receive(a, sealedFrame(4));
    expect(forwarder.stats.dropped[DropReason.NoRoom]).toBe(2);
  });
});
