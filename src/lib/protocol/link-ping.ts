/**
 * Round-trip probes on the lossy audio channel, so RTT is measured on the path audio takes.
 * 13 bytes: u8 kind (0x80 ping, 0x81 pong), u32 id, f64 the pinger's clock in ms (echoed unchanged).
 * Kind bytes ≥ 0x80 never collide with audio frames, whose first byte is the frame version (1).
 */
export const LinkPingKind = { Ping: 0x80, Pong: 0x81 } as const;
export type LinkPingKind = (typeof LinkPingKind)[keyof typeof LinkPingKind];
export const LINK_PING_BYTES = 13;

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

export function readLinkPing(bytes: Uint8Array): { kind: LinkPingKind; id: number; timeMs: number } | null {
  if (!isLinkPing(bytes)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { kind: bytes[0] as LinkPingKind, id: view.getUint32(1, true), timeMs: view.getFloat64(5, true) };
}
