/**
 * Round-trip probes on the lossy audio channel, so RTT is measured on the path audio takes, and — between
 * two players' Workers — the clock offset and the sender's capture clock anchor that recording aligns
 * remote audio with (see protocol/recording.ts).
 *
 * Ping, 13 bytes: u8 kind 0x80, u32 id, f64 the pinger's epoch clock in ms.
 * Short pong, 13 bytes: the ping with kind 0x81 (what the relay's SFU answers, and older players).
 * Clock pong, {@link LINK_CLOCK_PONG_BYTES} bytes: u8 0x81, u32 id, f64 the echoed pinger time, f64 the
 * responder's epoch ms when it replied, u8 flags (bit 0: an anchor follows), u32 the anchor's
 * senderTime, f64 the anchor's epoch ms (the responder's clock). Pongs are told apart by their length.
 * All little-endian. Kind bytes ≥ 0x80 never collide with audio frames, whose first byte is the frame
 * version (1).
 */
export const LinkPingKind = { Ping: 0x80, Pong: 0x81 } as const;
export type LinkPingKind = (typeof LinkPingKind)[keyof typeof LinkPingKind];
export const LINK_PING_BYTES = 13;
export const LINK_CLOCK_PONG_BYTES = 34;

/**
 * A sender's capture clock: its frames' `senderTime` (48 kHz samples, wraps at 2^32) `senderTime` was
 * captured at `epochMs` on the sender's epoch clock (`performance.timeOrigin + performance.now()`).
 */
export interface CaptureAnchor {
  senderTime: number;
  epochMs: number;
}

/** A clock pong: the echoed ping time, the responder's time at reply and its capture anchor, if any. */
export interface ClockPong {
  id: number;
  pingMs: number;
  replyMs: number;
  anchor: CaptureAnchor | null;
}

export function isLinkPing(bytes: Uint8Array): boolean {
  return (
    bytes.length === LINK_PING_BYTES && (bytes[0] === LinkPingKind.Ping || bytes[0] === LinkPingKind.Pong)
  );
}

export function writeLinkPing(kind: LinkPingKind, id: number, timeMs: number): Uint8Array {
  const bytes = new Uint8Array(LINK_PING_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, kind);
  view.setUint32(1, id >>> 0, true);
  view.setFloat64(5, timeMs, true);
  return bytes;
}

/** A 13-byte ping or short pong; null for anything else (a clock pong included). */
export function readLinkPing(bytes: Uint8Array): { kind: LinkPingKind; id: number; timeMs: number } | null {
  if (!isLinkPing(bytes)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { kind: bytes[0] as LinkPingKind, id: view.getUint32(1, true), timeMs: view.getFloat64(5, true) };
}

export function writeClockPong(pong: ClockPong): Uint8Array {
  const bytes = new Uint8Array(LINK_CLOCK_PONG_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, LinkPingKind.Pong);
  view.setUint32(1, pong.id >>> 0, true);
  view.setFloat64(5, pong.pingMs, true);
  view.setFloat64(13, pong.replyMs, true);
  const anchor = pong.anchor;
  view.setUint8(21, anchor ? 1 : 0);
  view.setUint32(22, anchor ? anchor.senderTime >>> 0 : 0, true);
  view.setFloat64(26, anchor ? anchor.epochMs : 0, true);
  return bytes;
}

/** A clock pong, or null when `bytes` is not one or its times are not finite. */
export function readClockPong(bytes: Uint8Array): ClockPong | null {
  if (bytes.length !== LINK_CLOCK_PONG_BYTES || bytes[0] !== LinkPingKind.Pong) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = view.getUint8(21);
  if (flags > 1) return null;
  const pingMs = view.getFloat64(5, true);
  const replyMs = view.getFloat64(13, true);
  const anchorMs = view.getFloat64(26, true);
  if (!Number.isFinite(pingMs) || !Number.isFinite(replyMs) || !Number.isFinite(anchorMs)) return null;
  return {
    id: view.getUint32(1, true),
    pingMs,
    replyMs,
    anchor: flags === 1 ? { senderTime: view.getUint32(22, true), epochMs: anchorMs } : null,
  };
}
