/**
 * RTT probes on one channel (`link-ping.ts`), shared by direct transports and the SFU transport:
 * sends pings, answers the far side's pings with clock pongs, and smooths the RTT from the pongs. The
 * far side is a peer's Worker on a direct channel and the relay on the SFU channel (which answers with
 * short pongs: RTT only). A peer's clock pong also feeds the clock-offset estimate (`clock-offset.ts`)
 * and brings its latest capture anchor, which recording needs to place its frames at capture time.
 */
import {
  LINK_CLOCK_PONG_BYTES,
  LinkPingKind,
  readClockPong,
  readLinkPing,
  writeClockPong,
  writeLinkPing,
  type CaptureAnchor,
} from '../../protocol/link-ping';
import { ClockOffset, type ClockEstimate } from './clock-offset';
import type { FrameTransport } from './frame-transport';

const RTT_SMOOTHING = 0.2;
const MAX_RTT_MS = 10_000;

export class LinkProbe {
  readonly #transport: FrameTransport;
  readonly #now: () => number;
  readonly #anchor: () => CaptureAnchor | null;
  readonly #clock = new ClockOffset();
  #remoteAnchor: CaptureAnchor | null = null;
  #pingId = 0;
  #rtt: number | null = null;
  /** Malformed probes. */
  badPings = 0;

  /**
   * `now` is this side's epoch clock in ms (`performance.timeOrigin + performance.now()` in the Worker):
   * pongs carry it, and offsets are measured against it. `anchor` is our latest capture anchor, sent
   * in every pong (none by default).
   */
  constructor(transport: FrameTransport, now: () => number, anchor: () => CaptureAnchor | null = () => null) {
    this.#transport = transport;
    this.#now = now;
    this.#anchor = anchor;
  }

  /** Smoothed round-trip time, ms; null until measured. */
  get rttMs(): number | null {
    return this.#rtt;
  }

  /** The far side's latest capture anchor (its clock), from its clock pongs; null before one. */
  get remoteAnchor(): CaptureAnchor | null {
    return this.#remoteAnchor;
  }

  /** The far side's clock − ours; null until a clock pong came. */
  clockOffset(): ClockEstimate | null {
    return this.#clock.estimate();
  }

  ping(): void {
    if (this.#transport.open)
      this.#transport.send(writeLinkPing(LinkPingKind.Ping, this.#pingId++, this.#now()));
  }

  /** A message whose first byte is a probe kind: answered (ping) or measured (pong). */
  receive(bytes: Uint8Array): void {
    if (bytes.length === LINK_CLOCK_PONG_BYTES) {
      const pong = readClockPong(bytes);
      if (!pong) this.badPings++;
      else {
        const now = this.#now();
        if (this.#measure(now - pong.pingMs)) {
          this.#clock.add(pong.pingMs, pong.replyMs, now);
          if (pong.anchor) this.#remoteAnchor = pong.anchor;
        }
      }
      return;
    }
    const ping = readLinkPing(bytes);
    if (!ping) {
      this.badPings++;
      return;
    }
    if (ping.kind === LinkPingKind.Ping) {
      if (this.#transport.open)
        this.#transport.send(
          writeClockPong({ id: ping.id, pingMs: ping.timeMs, replyMs: this.#now(), anchor: this.#anchor() }),
        );
      return;
    }
    this.#measure(this.#now() - ping.timeMs);
  }

  /** Folds one round trip into the smoothed RTT; false when it makes no sense (ignored). */
  #measure(rtt: number): boolean {
    if (!(rtt >= 0 && rtt < MAX_RTT_MS)) return false;
    this.#rtt = this.#rtt === null ? rtt : this.#rtt + RTT_SMOOTHING * (rtt - this.#rtt);
    return true;
  }
}
