/**
 * Test support: the relay's SFU as the tests need it, in memory. Each player gets a data-channel
 * stand-in (the Worker sets `onmessage`; what it sends arrives here). Upstream: a link ping is answered
 * with a clock pong on the relay's epoch clock (ours + `clockAheadMs`), as the relay does; a sealed frame is queued for every other player. `flush` packs each
 * receiver's queue into bundles with the protocol's own BundleWriter, stamped with the sender's
 * relay-assigned source index, exactly as the relay does per interval. Hooks let a test tamper with a
 * frame on the way, or send raw bytes (bad bundles, unknown indexes).
 */
import { LinkPingKind, readLinkPing, writeClockPong } from '../../protocol/link-ping';
import { SEALED_FRAME_VERSION } from '../../protocol/sealed-frame';
import { BundleWriter, SFU_MAX_UPSTREAM_BYTES } from '../../protocol/sfu';

/** A data channel stand-in on the player's side of its connection to the relay. */
export interface FakeChannel {
  binaryType: string;
  readyState: 'open' | 'closed';
  bufferedAmount: number;
  onmessage: ((event: { data: unknown }) => void) | null;
  sent: number;
  send(bytes: Uint8Array): void;
  close(): void;
  /** Plays the far side: `bytes` arrive at the player (as a copy, like a real channel). */
  deliver(bytes: Uint8Array): void;
}

/** A channel whose sends go to `onSend` (which may be swapped later). */
export function fakeChannel(onSend: (bytes: Uint8Array) => void = () => undefined): FakeChannel & {
  onSend: (bytes: Uint8Array) => void;
} {
  const channel = {
    binaryType: 'blob',
    readyState: 'open' as 'open' | 'closed',
    bufferedAmount: 0,
    onmessage: null as ((event: { data: unknown }) => void) | null,
    sent: 0,
    onSend,
    send(bytes: Uint8Array) {
      channel.sent++;
      channel.onSend(bytes.slice());
    },
    close() {
      channel.readyState = 'closed';
    },
    deliver(bytes: Uint8Array) {
      if (channel.readyState === 'open') channel.onmessage?.({ data: bytes.slice().buffer });
    },
  };
  return channel;
}

interface Player {
  peerId: string;
  index: number;
  channel: FakeChannel;
  queue: Array<{ index: number; frame: Uint8Array }>;
}

export class FakeSfuRelay {
  readonly #players = new Map<string, Player>();
  #nextIndex = 3; // not 0: an index is the relay's choice, not a position in any list of ours
  /** Frames forwarded (entries bundled), pongs sent, upstream messages dropped. */
  forwarded = 0;
  pongs = 0;
  dropped = 0;
  /** How far the relay's clock runs ahead of the test's (its pongs say so). */
  clockAheadMs = 0;
  /** Changes (or replaces) a frame from `from` on its way to `to`; return null to drop it. */
  tamper: ((frame: Uint8Array, from: string, to: string) => Uint8Array | null) | null = null;

  /** A player joins: it gets a source index and its end of the SFU channel. */
  join(peerId: string): FakeChannel {
    const index = this.#nextIndex++;
    const channel = fakeChannel((bytes) => this.#upstream(peerId, bytes));
    this.#players.set(peerId, { peerId, index, channel, queue: [] });
    return channel;
  }

  /** The `room-route` mapping, as the Worker takes it (source key = peer id). */
  sources(): Array<{ index: number; sourceKey: string }> {
    return [...this.#players.values()].map(({ index, peerId }) => ({ index, sourceKey: peerId }));
  }

  indexOf(peerId: string): number {
    return this.#players.get(peerId)!.index;
  }

  /** Sends every receiver its queued frames, bundled; returns the bundles sent. */
  flush(): number {
    let bundles = 0;
    for (const player of this.#players.values()) {
      const writer = new BundleWriter();
      const send = () => {
        const bundle = writer.take();
        if (!bundle) return;
        bundles++;
        player.channel.deliver(bundle);
      };
      for (const { index, frame } of player.queue.splice(0)) {
        if (!writer.fits(frame.length)) send();
        writer.add(index, frame);
        this.forwarded++;
      }
      send();
    }
    return bundles;
  }

  /** Raw bytes to one player, as if the relay sent them. */
  sendRaw(peerId: string, bytes: Uint8Array): void {
    this.#players.get(peerId)!.channel.deliver(bytes);
  }

  #upstream(from: string, bytes: Uint8Array): void {
    const sender = this.#players.get(from)!;
    const ping = readLinkPing(bytes);
    if (ping) {
      if (ping.kind === LinkPingKind.Ping) {
        this.pongs++;
        const replyMs = performance.timeOrigin + performance.now() + this.clockAheadMs;
        sender.channel.deliver(writeClockPong({ id: ping.id, pingMs: ping.timeMs, replyMs, anchor: null }));
      }
      return;
    }
    if (bytes[0] !== SEALED_FRAME_VERSION || bytes.length > SFU_MAX_UPSTREAM_BYTES) {
      this.dropped++;
      return;
    }
    for (const player of this.#players.values()) {
      if (player === sender) continue;
      const frame = this.tamper ? this.tamper(bytes.slice(), from, player.peerId) : bytes;
      if (frame) player.queue.push({ index: sender.index, frame });
    }
  }
}
