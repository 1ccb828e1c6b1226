/**
 * The SFU's hot path: upstream messages from each player's data channel in, bundles per receiver out.
 *
 * - A link ping is answered at once with a clock pong carrying the relay's epoch clock: the RTT of the
 *   relay path, and each player's offset to the relay, which players in an SFU room share so the
 *   metronome and backing tracks can place each other's timelines without a direct link.
 * - A sealed frame passes the sender's replay window and flood limit, then is copied into the
 *   pending bundle of every *other* open endpoint of the same room, stamped with the sender's
 *   relay-assigned source index. Frames never cross rooms: an endpoint's room is fixed when it is
 *   created.
 * - A receiver's bundle goes out when it is full or at the end of the event-loop turn (setImmediate),
 *   whichever comes first: frames are never held longer than the current turn.
 * - Everything else is dropped and counted by reason.
 *
 * The relay has no keys: it reads only the version byte, `seq` and the stream-start flag.
 * Per frame and receiver the work is a bounds check and a copy into a preallocated buffer; the only
 * allocation is one buffer per bundle sent.
 */
import {
  LINK_PING_BYTES,
  LinkPingKind,
  readLinkPing,
  writeClockPong,
} from '../../../src/lib/protocol/link-ping.js';
import {
  BundleWriter,
  FRAME_SEQ_OFFSET,
  SEALED_FRAME_VERSION,
  SFU_MAX_UPSTREAM_BYTES,
} from '../../../src/lib/protocol/sfu.js';
import { TokenBucket } from '../signaling/rate-limiter.js';
import { DropReason, emptyDropCounts, type DropCounts } from './drop-counters.js';
import { ReplayVerdict, ReplayWindow } from './replay-window.js';

/** Smallest sealed frame: the 16-byte audio frame header. */
export const SFU_MIN_FRAME_BYTES = 16;
/** A receiver with more than this unsent on its channel gets bundles dropped, not queued. */
export const RECEIVER_BACKLOG_BYTES = 64 * 1024;
/**
 * Per-sender frame limit: 2.5 ms frames are 400/s. The bucket is timed when the relay's thread gets
 * to a message, not when it arrived, so the burst (a second of 2.5 ms frames) covers the backlog an
 * honest sender builds up while the relay's event loop is stalled (measured on a contended machine:
 * with a burst of 200, stalls over ~0.5 s dropped honest frames as `flood`).
 */
export const FLOOD_FRAMES_PER_SECOND = 1000;
export const FLOOD_BURST_FRAMES = 400;
const STREAM_START_FLAG = 1;
const FLAGS_OFFSET = 3;

/** What the forwarder needs of a player's channel to the relay. */
export interface EndpointTransport {
  /** Sends one binary message; the transport copies it before returning. */
  send(bytes: Uint8Array): void;
  /** Bytes queued on the channel and not yet sent. */
  bufferedAmount(): number;
}

export interface ForwarderOptions {
  now?: () => number;
  /** The relay's epoch clock (ms) that pongs carry; performance.timeOrigin + performance.now() unless tests say. */
  epochNow?: () => number;
  framesPerSecond?: number;
  burstFrames?: number;
  /** Defers a flush to the end of the event-loop turn; setImmediate unless tests say. */
  defer?: (flush: () => void) => void;
}

/** One player's channel to the relay, as the forwarder sees it. */
export class Endpoint {
  readonly room: string;
  readonly sourceIndex: number;
  readonly transport: EndpointTransport;
  readonly replay = new ReplayWindow();
  readonly bucket: TokenBucket;
  readonly writer = new BundleWriter();
  /** In the forwarder's list of endpoints with a pending bundle. */
  pending = false;
  /** Receives frames only once its channel is open; gone after {@link Forwarder.remove}. */
  open = false;

  constructor(room: string, sourceIndex: number, transport: EndpointTransport, bucket: TokenBucket) {
    this.room = room;
    this.sourceIndex = sourceIndex;
    this.transport = transport;
    this.bucket = bucket;
  }
}

export interface ForwarderStats {
  /** Upstream frames accepted for forwarding. */
  received: number;
  /** Frame copies sent to receivers. */
  forwarded: number;
  bundles: number;
  pongs: number;
  dropped: DropCounts;
}

export class Forwarder {
  readonly #rooms = new Map<string, Endpoint[]>();
  readonly #pending: Endpoint[] = [];
  readonly #now: () => number;
  readonly #epochNow: () => number;
  readonly #framesPerSecond: number;
  readonly #burstFrames: number;
  readonly #defer: (flush: () => void) => void;
  readonly #flush = (): void => this.flush();
  #scheduled = false;
  readonly stats: ForwarderStats = {
    received: 0,
    forwarded: 0,
    bundles: 0,
    pongs: 0,
    dropped: emptyDropCounts(),
  };

  constructor(options: ForwarderOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#epochNow = options.epochNow ?? (() => performance.timeOrigin + performance.now());
    this.#framesPerSecond = options.framesPerSecond ?? FLOOD_FRAMES_PER_SECOND;
    this.#burstFrames = options.burstFrames ?? FLOOD_BURST_FRAMES;
    this.#defer = options.defer ?? ((flush) => setImmediate(flush));
  }

  /** A new endpoint in `room`; it forwards and receives once {@link setOpen} is called. */
  add(room: string, sourceIndex: number, transport: EndpointTransport): Endpoint {
    const bucket = new TokenBucket({
      ratePerSecond: this.#framesPerSecond,
      burst: this.#burstFrames,
      now: this.#now,
    });
    const endpoint = new Endpoint(room, sourceIndex, transport, bucket);
    const list = this.#rooms.get(room);
    // A fresh array per change: the hot path iterates the list without copying it.
    this.#rooms.set(room, list ? [...list, endpoint] : [endpoint]);
    return endpoint;
  }

  setOpen(endpoint: Endpoint): void {
    if (this.#rooms.get(endpoint.room)?.includes(endpoint)) endpoint.open = true;
  }

  /** Removes the endpoint; its pending bundle is discarded. Idempotent. */
  remove(endpoint: Endpoint): void {
    endpoint.open = false;
    const list = this.#rooms.get(endpoint.room);
    if (!list?.includes(endpoint)) return;
    const rest = list.filter((e) => e !== endpoint);
    if (rest.length === 0) this.#rooms.delete(endpoint.room);
    else this.#rooms.set(endpoint.room, rest);
    endpoint.writer.take();
  }

  /** Open endpoints (players connected to the SFU). */
  get endpointCount(): number {
    let count = 0;
    for (const list of this.#rooms.values()) for (const e of list) if (e.open) count++;
    return count;
  }

  /** One message from `sender`'s channel. Never throws on any input. */
  receive(sender: Endpoint, message: Uint8Array | string): void {
    const dropped = this.stats.dropped;
    if (typeof message === 'string') {
      dropped[DropReason.Malformed]++;
      return;
    }
    const length = message.length;
    const kind = message[0];
    if (kind === LinkPingKind.Ping && length === LINK_PING_BYTES) {
      this.#pong(sender, message);
      return;
    }
    if (length > SFU_MAX_UPSTREAM_BYTES) {
      dropped[DropReason.Oversized]++;
      return;
    }
    if (kind !== SEALED_FRAME_VERSION) {
      dropped[length === 0 || kind === LinkPingKind.Ping ? DropReason.Malformed : DropReason.WrongVersion]++;
      return;
    }
    if (length < SFU_MIN_FRAME_BYTES) {
      dropped[DropReason.Malformed]++;
      return;
    }
    const receivers = sender.open ? this.#rooms.get(sender.room) : undefined;
    if (!receivers) {
      dropped[DropReason.NoRoom]++;
      return;
    }
    if (!sender.bucket.take()) {
      dropped[DropReason.Flood]++;
      return;
    }
    const seq =
      (message[FRAME_SEQ_OFFSET]! |
        (message[FRAME_SEQ_OFFSET + 1]! << 8) |
        (message[FRAME_SEQ_OFFSET + 2]! << 16) |
        (message[FRAME_SEQ_OFFSET + 3]! << 24)) >>>
      0;
    const verdict = sender.replay.check(seq, (message[FLAGS_OFFSET]! & STREAM_START_FLAG) !== 0);
    if (verdict !== ReplayVerdict.Fresh) {
      dropped[verdict === ReplayVerdict.Duplicate ? DropReason.Replayed : DropReason.Stale]++;
      return;
    }
    this.stats.received++;
    for (let i = 0; i < receivers.length; i++) {
      const receiver = receivers[i]!;
      if (receiver === sender || !receiver.open) continue;
      const writer = receiver.writer;
      if (!writer.fits(length)) this.#send(receiver);
      writer.add(sender.sourceIndex, message);
      if (!receiver.pending) {
        receiver.pending = true;
        this.#pending.push(receiver);
      }
    }
    if (!this.#scheduled && this.#pending.length > 0) {
      this.#scheduled = true;
      this.#defer(this.#flush);
    }
  }

  /** Sends every pending bundle now (end of the event-loop turn). */
  flush(): void {
    this.#scheduled = false;
    const pending = this.#pending;
    for (let i = 0; i < pending.length; i++) {
      const receiver = pending[i]!;
      receiver.pending = false;
      if (receiver.open) this.#send(receiver);
      else receiver.writer.take();
    }
    pending.length = 0;
  }

  #send(receiver: Endpoint): void {
    const frames = receiver.writer.count;
    if (frames === 0) return;
    if (receiver.transport.bufferedAmount() > RECEIVER_BACKLOG_BYTES) {
      receiver.writer.take();
      this.stats.dropped[DropReason.ReceiverBacklog] += frames;
      return;
    }
    const bundle = receiver.writer.take()!;
    try {
      receiver.transport.send(bundle);
    } catch {
      // A channel closing under us: the frames are lost like any lossy-channel frame.
      this.stats.dropped[DropReason.ReceiverBacklog] += frames;
      return;
    }
    this.stats.forwarded += frames;
    this.stats.bundles++;
  }

  #pong(sender: Endpoint, message: Uint8Array): void {
    const ping = readLinkPing(message);
    if (!ping) return;
    const pong = writeClockPong({
      id: ping.id,
      pingMs: ping.timeMs,
      replyMs: this.#epochNow(),
      anchor: null,
    });
    try {
      sender.transport.send(pong);
      this.stats.pongs++;
    } catch {
      // The sender's channel is closing; nothing to answer.
    }
  }
}
