import { describe, expect, it } from 'vitest';
import {
  LINK_CLOCK_PONG_BYTES,
  LINK_PING_BYTES,
  LinkPingKind,
  isLinkPing,
  readClockPong,
  readLinkPing,
  writeClockPong,
  writeLinkPing,
} from './link-ping';

describe('link probes', () => {
  it('reads back a ping and a short pong (13 bytes, what the relay answers)', () => {
    const ping = writeLinkPing(LinkPingKind.Ping, 7, 1234.5);
    expect(ping).toHaveLength(LINK_PING_BYTES);
    expect(readLinkPing(ping)).toEqual({ kind: LinkPingKind.Ping, id: 7, timeMs: 1234.5 });
    const pong = writeLinkPing(LinkPingKind.Pong, 0xffff_ffff, 1.25);
    expect(readLinkPing(pong)).toEqual({ kind: LinkPingKind.Pong, id: 0xffff_ffff, timeMs: 1.25 });
    expect(readClockPong(pong)).toBeNull();
  });

  it('reads back a clock pong, with and without a capture anchor, told apart from a short pong by length', () => {
    const epoch = 1_765_000_000_123.456;
    const pong = writeClockPong({
      id: 9,
      pingMs: epoch,
      replyMs: epoch + 123.4,
      anchor: { senderTime: 0xfff0_0000, epochMs: epoch - 5.25 },
    });
    expect(pong).toHaveLength(LINK_CLOCK_PONG_BYTES);
    expect(LINK_CLOCK_PONG_BYTES).not.toBe(LINK_PING_BYTES);
    expect(pong[0]).toBe(LinkPingKind.Pong);
    expect(isLinkPing(pong)).toBe(false);
    expect(readLinkPing(pong)).toBeNull();
    expect(readClockPong(pong)).toEqual({
      id: 9,
      pingMs: epoch,
      replyMs: epoch + 123.4,
      anchor: { senderTime: 0xfff0_0000, epochMs: epoch - 5.25 },
    });
    const bare = writeClockPong({ id: 1, pingMs: 2, replyMs: 3, anchor: null });
    expect(readClockPong(bare)).toEqual({ id: 1, pingMs: 2, replyMs: 3, anchor: null });
  });

  it('refuses a clock pong with unknown flags, non-finite times, or the ping kind', () => {
    const good = writeClockPong({ id: 1, pingMs: 2, replyMs: 3, anchor: { senderTime: 4, epochMs: 5 } });
    const flags = good.slice();
    flags[21] = 2;
    expect(readClockPong(flags)).toBeNull();
    const nan = good.slice();
    new DataView(nan.buffer).setFloat64(13, Number.NaN, true);
    expect(readClockPong(nan)).toBeNull();
    const kind = good.slice();
    kind[0] = LinkPingKind.Ping;
    expect(readClockPong(kind)).toBeNull();
    expect(readClockPong(good.subarray(0, 33))).toBeNull();
  });
});
