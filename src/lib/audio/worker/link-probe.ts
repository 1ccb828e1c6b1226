/**
 * RTT probes on one channel (`link-ping.ts`), shared by direct transports and the SFU transport:
 * sends pings, answers the far side's pings with pongs, and smooths the RTT from the pongs. The far
 * side is a peer's Worker on a direct channel and the relay on the SFU channel.
 */
import { LinkPingKind, readLinkPing, writeLinkPing } from '../../protocol/link-ping';
import type { FrameTransport } from './frame-transport';

const RTT_SMOOTHING = 0.2;

export class LinkProbe {
  readonly #transport: FrameTransport;
  readonly #now: () => number;
  #pingId = 0;
  #rtt: number | null = null;
  /** Malformed probes. */
  badPings = 0;

  constructor(transport: FrameTransport, now: () => number) {
    this.#transport = transport;
    this.#now = now;
  }

  /** Smoothed round-trip time, ms; null until measured. */
  get rttMs(): number | null {
    return this.#rtt;
  }

  ping(): void {
    if (this.#transport.open)
      this.#transport.send(writeLinkPing(LinkPingKind.Ping, this.#pingId++, this.#now()));
  }

  /** A message whose first byte is a probe kind: answered (ping) or measured (pong). */
  receive(bytes: Uint8Array): void {
    const ping = readLinkPing(bytes);
    if (!ping) {
      this.badPings++;
      return;
    }
    if (ping.kind === LinkPingKind.Ping) {
      if (this.#transport.open) this.#transport.send(writeLinkPing(LinkPingKind.Pong, ping.id, ping.timeMs));
      return;
    }
    const rtt = this.#now() - ping.timeMs;
    if (!(rtt >= 0 && rtt < 10_000)) return;
    this.#rtt = this.#rtt === null ? rtt : this.#rtt + RTT_SMOOTHING * (rtt - this.#rtt);
  }
}
