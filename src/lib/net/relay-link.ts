/**
 * Yjs sync and presence through the relay, for players who have no direct link (protocol/relay-sync.ts).
 * Each peer gets a {@link RelaySyncLink}: what StudioSync needs of a link (`send` bytes), while what
 * arrives is reported as `message` under the sender the relay attested — never under anything the
 * data says — so StudioSync's rule "a live participant's writes only over its own link" still holds.
 *
 * The relay limits messages per connection (BANDMESH_RELAY_MAX_MESSAGES_PER_SECOND, default 50/s,
 * shared with mesh and SFU signaling), so sends are coalesced: queued, flushed every `flushMs` as
 * few publishes as possible (several messages per publish; a message queued for every other player
 * at once — StudioSync sends its document updates and presence to each link with the same bytes —
 * goes once, to everyone), and paced by a token bucket of `ratePerSecond`. What does not fit waits
 * for the next flush, in order.
 */
import {
  base64Length,
  encodeRelaySync,
  isRelaySync,
  parseRelaySync,
  RELAY_SYNC_MAX_CHARS,
  RELAY_SYNC_MAX_MESSAGES,
} from '../protocol/relay-sync';
import { SYNC_MAX_MESSAGE_BYTES } from '../protocol/sync-wire';
import { Emitter } from '../util/emitter';

export interface RelaySyncEvents extends Record<string, unknown> {
  /** One sync-wire message from `peerId` (attested by the relay). */
  message: { peerId: string; bytes: Uint8Array };
  /** A `sync` publish that could not be read (malformed, too large, another version). */
  malformed: { peerId: string };
}

export interface RelaySyncOptions {
  publish(data: unknown, to?: string): boolean;
  /** How many other players are in the room: a message queued for all of them is published once. */
  audience(): number;
  flushMs?: number;
  /** Publishes per second this module may use of the relay's per-connection limit (burst the same). */
  ratePerSecond?: number;
  now?: () => number;
}

/** What StudioSync needs of a link. */
export interface RelaySyncLink {
  readonly peerId: string;
  send(bytes: Uint8Array): boolean;
}

/** Queued bytes per peer beyond which sends fail (the relay is gone or far too slow). */
const MAX_QUEUED_BYTES = SYNC_MAX_MESSAGE_BYTES + 1024 * 1024;
/** Wait before trying again after the signaling socket refused a publish. */
const OFFLINE_RETRY_MS = 500;

interface Queue {
  items: Uint8Array[];
  bytes: number;
}

export class RelaySync {
  readonly events = new Emitter<RelaySyncEvents>();
  readonly #options: RelaySyncOptions;
  readonly #now: () => number;
  readonly #flushMs: number;
  readonly #rate: number;
  readonly #queues = new Map<string, Queue>();
  readonly #links = new Map<string, RelaySyncLink>();
  #tokens: number;
  #tokensAt: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #disposed = false;
  /** Publishes sent (diagnostics and tests). */
  published = 0;

  constructor(options: RelaySyncOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#flushMs = options.flushMs ?? 50;
    this.#rate = options.ratePerSecond ?? 20;
    this.#tokens = this.#rate;
    this.#tokensAt = this.#now();
  }

  /** The link to `peerId` (the same one until `close`). */
  link(peerId: string): RelaySyncLink {
    let link = this.#links.get(peerId);
    if (!link) {
      link = { peerId, send: (bytes) => this.#enqueue(peerId, bytes) };
      this.#links.set(peerId, link);
    }
    return link;
  }

  /** Forgets a peer and what was queued for it. */
  close(peerId: string): void {
    this.#links.delete(peerId);
    this.#queues.delete(peerId);
  }

  /**
   * A publish the relay delivered from `from`. True when it was a `sync` message (consumed, even if
   * malformed); false when it is something else for another handler.
   */
  handle(from: string, data: unknown): boolean {
    if (!isRelaySync(data)) return false;
    if (this.#disposed) return true;
    const messages = parseRelaySync(data);
    if (!messages) {
      this.events.emit('malformed', { peerId: from });
      return true;
    }
    for (const bytes of messages) this.events.emit('message', { peerId: from, bytes });
    return true;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#queues.clear();
    this.#links.clear();
    this.events.clear();
  }

  #enqueue(peerId: string, bytes: Uint8Array): boolean {
    if (this.#disposed || !this.#links.has(peerId)) return false;
    let queue = this.#queues.get(peerId);
    if (!queue) this.#queues.set(peerId, (queue = { items: [], bytes: 0 }));
    if (queue.bytes + bytes.length > MAX_QUEUED_BYTES) return false;
    queue.items.push(bytes);
    queue.bytes += bytes.length;
    this.#schedule(this.#flushMs);
    return true;
  }

  #schedule(delay: number): void {
    if (this.#timer || this.#disposed) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#flush();
    }, delay);
  }

  #flush(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#rate, this.#tokens + ((now - this.#tokensAt) / 1000) * this.#rate);
    this.#tokensAt = now;
    let offline = false;
    // Messages every other player needs go once, to everyone.
    for (let shared = this.#shared(); shared.length > 0 && this.#tokens >= 1; shared = this.#shared()) {
      const batch = takeBatch(shared);
      if (!this.#publish(batch)) {
        offline = true;
        break;
      }
      const sent = new Set(batch);
      for (const queue of this.#queues.values()) removeSent(queue, sent);
    }
    // Then each player's own messages, a batch per player per round, in order.
    while (!offline && this.#tokens >= 1) {
      let progressed = false;
      for (const [peerId, queue] of this.#queues) {
        if (queue.items.length === 0) continue;
        if (this.#tokens < 1) break;
        const batch = takeBatch(queue.items);
        if (!this.#publish(batch, peerId)) {
          offline = true;
          break;
        }
        removeSent(queue, new Set(batch));
        progressed = true;
      }
      if (!progressed) break;
    }
    for (const [peerId, queue] of this.#queues) if (queue.items.length === 0) this.#queues.delete(peerId);
    if (this.#queues.size === 0) return;
    const tokenWait = this.#tokens >= 1 ? 0 : ((1 - this.#tokens) / this.#rate) * 1000;
    this.#schedule(offline ? OFFLINE_RETRY_MS : Math.max(this.#flushMs, tokenWait));
  }

  /**
   * Messages queued (as the same bytes) for every other player in the room, in the first queue's
   * order; none when someone in the room has no relay link (it would get them twice).
   */
  #shared(): Uint8Array[] {
    const audience = this.#options.audience();
    const queues = [...this.#queues.values()];
    if (audience < 2 || queues.length < audience) return [];
    const [first, ...rest] = queues;
    const others = rest.map((q) => new Set(q.items));
    return first!.items.filter((item) => others.every((set) => set.has(item)));
  }

  #publish(batch: Uint8Array[], to?: string): boolean {
    if (!this.#options.publish(encodeRelaySync(batch), to)) return false;
    this.#tokens -= 1;
    this.published += 1;
    return true;
  }
}

/** The longest prefix of `items` one publish carries (at least one message). */
function takeBatch(items: readonly Uint8Array[]): Uint8Array[] {
  const batch: Uint8Array[] = [];
  let chars = 0;
  for (const item of items) {
    const length = base64Length(item.length);
    if (
      batch.length > 0 &&
      (chars + length > RELAY_SYNC_MAX_CHARS || batch.length >= RELAY_SYNC_MAX_MESSAGES)
    )
      break;
    batch.push(item);
    chars += length;
  }
  return batch;
}

function removeSent(queue: Queue, sent: Set<Uint8Array>): void {
  const kept = queue.items.filter((item) => !sent.has(item));
  if (kept.length === queue.items.length) return;
  queue.items = kept;
  queue.bytes = kept.reduce((sum, item) => sum + item.length, 0);
}
