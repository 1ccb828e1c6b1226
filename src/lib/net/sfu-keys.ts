/**
 * Key agreement for sealed SFU frames (ADR 0010, docs/protocol.md "End-to-end encryption"): every
 * visit seals its frames under its own *sender key* and hands that key to each attested peer,
 * wrapped under a pairwise key only the two of them can derive. The relay carries the messages
 * (signaling `publish`, `e2ee-messages.ts`) and stamps who sent them; it never sees a key in clear.
 *
 * - Each visit makes an X25519 key pair and announces the public half (`e2ee-hello`).
 * - On a hello from roster peer P: pairwise key = HKDF-SHA256(X25519(ours, P's), salt = both public
 *   keys, info = topic and both peer ids, in sorted order); then P gets our sender key(s), wrapped.
 * - When a peer leaves, we make a new sender key, send it to everyone left, and seal with it after
 *   `switchDelayMs`, so it has arrived before the first frame needs it. Receivers keep two per peer.
 *
 * The session feeds it the roster (`reset`/`join`/`leave`) and the relay's e2ee messages (`handle`),
 * and forwards `send-key` to the Worker's sealer and `peer-key` to its openers. Every `send-key` is a
 * fresh key: give it to exactly one sealer (a sealer's counter restarts at 0; a second sealer on the
 * same key would repeat nonces). If the sealer is lost (Worker restart), call `rotate()`.
 *
 * The relay drops publishes beyond a per-connection rate, so a wrapped key can be lost: one `publish`
 * refused here is retried with backoff, and a receiver that cannot open a peer's frames asks again
 * (`requestKey`). Peers are throttled in turn: a `want` is answered at most once per
 * `SFU_KEY_WANT_INTERVAL_MS` and a peer's public key changes at most once per
 * `SFU_KEY_PUB_CHANGE_INTERVAL_MS`, so a hostile client cannot spend our relay budget or our CPU.
 *
 * Trust: `from` is the relay's attestation, so a relay that actively lies could swap public keys and
 * read along (no out-of-band check yet; docs/threat-model.md). A passive relay sees only ciphertext.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import {
  E2EE_PUBLIC_KEY_BYTES,
  E2EE_WRAP_NONCE_BYTES,
  e2eeHello,
  e2eeKey,
  isE2eeData,
  parseE2eeMessage,
} from '../protocol/e2ee-messages.js';
import { type FrameKey, SEALED_KEY_BYTES, SEALED_SALT_BYTES } from '../protocol/sealed-frame.js';
import { Emitter } from '../util/emitter';

/** Default wait between sending a new sender key and sealing with it. */
export const SFU_KEY_SWITCH_DELAY_MS = 300;
/** A peer's `want` is answered at most once in this window (one more is deferred to its end, the rest ignored). */
export const SFU_KEY_WANT_INTERVAL_MS = 2_000;
/** `requestKey` asks a peer at most once in this window. */
export const SFU_KEY_REQUEST_INTERVAL_MS = 3_000;
/** A peer id may change its public key (one X25519) at most once in this window. */
export const SFU_KEY_PUB_CHANGE_INTERVAL_MS = 10_000;
/** Retry of wrapped keys the signaling socket refused: first wait, doubled up to the cap. */
export const SFU_KEY_RETRY_MIN_MS = 250;
export const SFU_KEY_RETRY_MAX_MS = 4_000;

export type SfuKeysProblemCode =
  /** An e2ee message before `reset`, from ourselves, or from a peer not in the roster. */
  | 'not-in-roster'
  /** An e2ee message that does not parse. */
  | 'malformed'
  /** A hello whose public key X25519 refuses (a low-order point). */
  | 'bad-public-key'
  /** A wrapped key from a peer whose hello we have not had (we ask for it again). */
  | 'no-pairwise-key'
  /** A wrapped key that does not open under the pairwise key: forged, altered or misdirected. */
  | 'bad-wrap'
  /** A `want` too soon after the last one we answered (ignored), or a public key changed too often (refused). */
  | 'throttled';

export interface SfuKeysProblem {
  code: SfuKeysProblemCode;
  peerId: string;
  detail: string;
}

export interface PeerFrameKey extends FrameKey {
  peerId: string;
}

export interface SfuKeysEvents extends Record<string, unknown> {
  /** Seal our frames with this key from now on (a new key each time: one sealer per key). */
  'send-key': FrameKey;
  /** Peer `peerId` seals with this key (now or soon): add it to that peer's opener. */
  'peer-key': PeerFrameKey;
  /** A refused message; never thrown. */
  problem: SfuKeysProblem;
}

export interface SfuKeysOptions {
  /** The studio topic, bound into every pairwise key. */
  topic: string;
  /**
   * Sends a signaling `publish`: to one peer with `to`, else to everyone in the topic. False when it
   * could not be sent (not subscribed): a wrapped key is then retried later.
   */
  publish: (data: unknown, to?: string) => boolean;
  /** Cryptographic random bytes (tests may pass a seeded source). */
  random?: (bytes: number) => Uint8Array;
  /** A monotonic clock in ms, for the throttles. */
  now?: () => number;
  switchDelayMs?: number;
}

interface PeerState {
  pub: Uint8Array | null;
  pairKey: Uint8Array | null;
  /** We sent this peer our hello since the last reset. */
  helloSent: boolean;
  /** Our sender keys this peer has (by identity). */
  sent: WeakSet<FrameKey>;
  /** When we last answered its `want`, asked it for its key, and accepted (or refused) a new public key. */
  wantAnsweredAt: number;
  requestedAt: number;
  pubChangedAt: number;
  /** A `want` that came inside the window, answered when it ends. */
  wantTimer: ReturnType<typeof setTimeout> | null;
}

const encoder = new TextEncoder();

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Binds a wrap to its direction and keyId, so a box cannot be reflected or relabelled. */
function wrapAad(sender: string, receiver: string, keyId: number): Uint8Array {
  return concat(encoder.encode(`bandmesh e2ee-key v1\0${sender}\0${receiver}\0`), Uint8Array.of(keyId));
}

export class SfuKeys {
  readonly events = new Emitter<SfuKeysEvents>();
  readonly #topic: string;
  readonly #publish: (data: unknown, to?: string) => boolean;
  readonly #random: (bytes: number) => Uint8Array;
  readonly #now: () => number;
  readonly #switchDelayMs: number;
  #self: string | null = null;
  #secret: Uint8Array | null = null;
  #public: Uint8Array | null = null;
  readonly #peers = new Map<string, PeerState>();
  /** The key we seal with. */
  #current: FrameKey | null = null;
  /** A key already sent to the peers, sealing with it from the timer on. */
  #pending: FrameKey | null = null;
  #switchTimer: ReturnType<typeof setTimeout> | null = null;
  /** Retries wrapped keys the signaling socket refused; runs only while one is unsent. */
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #retryDelayMs = SFU_KEY_RETRY_MIN_MS;
  #lastKeyId = -1;
  #disposed = false;

  constructor(options: SfuKeysOptions) {
    this.#topic = options.topic;
    this.#publish = options.publish;
    this.#random = options.random ?? randomBytes;
    this.#now = options.now ?? (() => performance.now());
    this.#switchDelayMs = options.switchDelayMs ?? SFU_KEY_SWITCH_DELAY_MS;
  }

  /**
   * Starts (or restarts after a reconnect) with our attested peer id and everyone else present.
   * A new peer id is a new visit: new key pair, new sender key. The same peer id (a resumed visit)
   * keeps both, unless someone left meanwhile (then the sender key rotates).
   */
  reset(selfPeerId: string, peerIds: readonly string[]): void {
    if (this.#disposed) return;
    const others = new Set(peerIds.filter((p) => p !== selfPeerId));
    let someoneLeft = false;
    if (selfPeerId !== this.#self) {
      this.#wipe();
      this.#self = selfPeerId;
      this.#secret = this.#random(32).slice();
      this.#public = x25519.getPublicKey(this.#secret);
      this.#current = this.#newKey();
      this.events.emit('send-key', this.#current);
    } else {
      for (const [peerId, state] of this.#peers) {
        if (others.has(peerId)) continue;
        this.#forget(peerId, state);
        someoneLeft = true;
      }
    }
    for (const peerId of others) {
      const state = this.#peers.get(peerId);
      if (state) {
        // They may have lost what we sent (a relay restart): send again when they say hello.
        state.helloSent = false;
        state.sent = new WeakSet();
      } else {
        this.#peers.set(peerId, this.#newPeer());
      }
    }
    const greeted = this.#publish(e2eeHello(this.#public!, true));
    for (const state of this.#peers.values()) state.helloSent = greeted;
    if (someoneLeft) this.rotate();
  }

  /** A peer came (relay `peer-joined`): greet it; it gets our key once it greets us. */
  join(peerId: string): void {
    if (this.#disposed || this.#self === null || peerId === this.#self) return;
    let state = this.#peers.get(peerId);
    if (!state) this.#peers.set(peerId, (state = this.#newPeer()));
    state.helloSent = this.#publish(e2eeHello(this.#public!, state.pub === null), peerId);
  }

  /**
   * We cannot open `peerId`'s frames (its wrapped key was lost on the way): ask it for its keys again
   * with a targeted `want`, at most once per `SFU_KEY_REQUEST_INTERVAL_MS`. True when asked now.
   */
  requestKey(peerId: string): boolean {
    if (this.#disposed || this.#self === null) return false;
    const state = this.#peers.get(peerId);
    if (!state || this.#now() - state.requestedAt < SFU_KEY_REQUEST_INTERVAL_MS) return false;
    if (!this.#publish(e2eeHello(this.#public!, true), peerId)) return false;
    state.requestedAt = this.#now();
    state.helloSent = true;
    return true;
  }

  /** A peer left: forget it and rotate our sender key, so it cannot read what we send next. */
  leave(peerId: string): void {
    if (this.#disposed) return;
    const state = this.#peers.get(peerId);
    if (!state) return;
    this.#forget(peerId, state);
    this.rotate();
  }

  /**
   * Makes a new sender key, sends it to every peer, and seals with it after the switch delay. A
   * rotation while one is pending first switches to the pending key (it has been on its way), so
   * the key we seal with is always one of the newest two the receivers keep.
   */
  rotate(): void {
    if (this.#disposed || this.#self === null) return;
    if (this.#pending) this.#switchToPending();
    this.#pending = this.#newKey();
    for (const peerId of this.#peers.keys()) this.#sendKeys(peerId);
    this.#switchTimer = setTimeout(() => this.#switchToPending(), this.#switchDelayMs);
  }

  /**
   * A signaling `publish` from `fromPeerId` (the relay's attestation). Returns true when it was an
   * e2ee message (handled or refused), false for anything else (the caller passes it on).
   */
  handle(fromPeerId: string, data: unknown): boolean {
    if (!isE2eeData(data)) return false;
    if (this.#disposed) return true;
    const state = fromPeerId === this.#self ? undefined : this.#peers.get(fromPeerId);
    if (!state) {
      this.#problem('not-in-roster', fromPeerId, 'an e2ee message from a peer not in the roster');
      return true;
    }
    const parsed = parseE2eeMessage(data);
    if (!parsed.ok) {
      this.#problem('malformed', fromPeerId, 'an e2ee message that does not parse');
      return true;
    }
    const message = parsed.message;
    if (message.type === 'e2ee-hello') {
      const now = this.#now();
      // Only a new public key costs an X25519. The first is free; after that, one attempt (accepted
      // or refused) per window, so a peer cycling keys cannot keep us computing.
      if (!state.pub || !equalBytes(state.pub, message.pub)) {
        const first = state.pub === null && state.pubChangedAt === -Infinity;
        if (!first && now - state.pubChangedAt < SFU_KEY_PUB_CHANGE_INTERVAL_MS) {
          this.#problem('throttled', fromPeerId, 'a public key changed again too soon; refused');
          return true;
        }
        if (!first) state.pubChangedAt = now;
        let pairKey: Uint8Array;
        try {
          pairKey = this.#pairKey(fromPeerId, message.pub);
        } catch {
          state.pubChangedAt = now;
          this.#problem('bad-public-key', fromPeerId, 'a hello with a public key X25519 refuses');
          return true;
        }
        state.pairKey?.fill(0);
        state.pub = message.pub;
        state.pairKey = pairKey;
        state.sent = new WeakSet();
      }
      // `want`: they have no (current) key of ours to open, so send ours again too. Answered once per
      // window: each answer costs publishes from our relay budget, which a flood of wants would drain.
      // One want inside the window is answered when it ends (our answer may have crossed their roster
      // update and been refused); any more are ignored.
      if (message.want) {
        const wait = state.wantAnsweredAt + SFU_KEY_WANT_INTERVAL_MS - now;
        if (wait <= 0) {
          this.#answerWant(fromPeerId, state);
          return true;
        }
        if (state.wantTimer === null) {
          state.wantTimer = setTimeout(() => {
            state.wantTimer = null;
            if (!this.#disposed && this.#peers.get(fromPeerId) === state) this.#answerWant(fromPeerId, state);
          }, wait);
        } else {
          this.#problem('throttled', fromPeerId, 'wants too soon after the last one answered; ignored');
        }
      }
      if (!state.helloSent) state.helloSent = this.#publish(e2eeHello(this.#public!, false), fromPeerId);
      this.#sendKeys(fromPeerId);
      return true;
    }
    if (!state.pairKey) {
      this.#problem('no-pairwise-key', fromPeerId, 'a wrapped key before the hello; asking for it');
      this.requestKey(fromPeerId);
      return true;
    }
    let plain: Uint8Array;
    try {
      plain = chacha20poly1305(
        state.pairKey,
        message.nonce,
        wrapAad(fromPeerId, this.#self!, message.keyId),
      ).decrypt(message.box);
    } catch {
      this.#problem('bad-wrap', fromPeerId, 'a wrapped key that does not open');
      return true;
    }
    this.events.emit('peer-key', {
      peerId: fromPeerId,
      keyId: message.keyId,
      key: plain.slice(0, SEALED_KEY_BYTES),
      salt: plain.slice(SEALED_KEY_BYTES, SEALED_KEY_BYTES + SEALED_SALT_BYTES),
    });
    plain.fill(0);
    return true;
  }

  /** Stops timers and wipes every key we hold. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#wipe();
    this.events.clear();
  }

  /** Greets `peerId` again and sends it every key we seal with, as if it had none. */
  #answerWant(peerId: string, state: PeerState): void {
    state.wantAnsweredAt = this.#now();
    state.sent = new WeakSet();
    state.helloSent = this.#publish(e2eeHello(this.#public!, false), peerId);
    this.#sendKeys(peerId);
  }

  /** Drops a peer: its pairwise key is wiped and its deferred answer cancelled. */
  #forget(peerId: string, state: PeerState): void {
    state.pairKey?.fill(0);
    if (state.wantTimer !== null) clearTimeout(state.wantTimer);
    state.wantTimer = null;
    this.#peers.delete(peerId);
  }

  #newPeer(): PeerState {
    return {
      pub: null,
      pairKey: null,
      helloSent: false,
      sent: new WeakSet(),
      wantAnsweredAt: -Infinity,
      requestedAt: -Infinity,
      pubChangedAt: -Infinity,
      wantTimer: null,
    };
  }

  #newKey(): FrameKey {
    this.#lastKeyId = (this.#lastKeyId + 1) & 0xff;
    return {
      keyId: this.#lastKeyId,
      key: this.#random(SEALED_KEY_BYTES).slice(),
      salt: this.#random(SEALED_SALT_BYTES).slice(),
    };
  }

  #pairKey(peerId: string, theirPub: Uint8Array): Uint8Array {
    if (theirPub.length !== E2EE_PUBLIC_KEY_BYTES) throw new RangeError('public key length');
    const shared = x25519.getSharedSecret(this.#secret!, theirPub);
    const self = this.#self!;
    const ourFirst = self < peerId;
    const [a, b] = ourFirst ? [self, peerId] : [peerId, self];
    const salt = ourFirst ? concat(this.#public!, theirPub) : concat(theirPub, this.#public!);
    const info = encoder.encode(`bandmesh e2ee v1 pairwise\0${this.#topic}\0${a}\0${b}`);
    const key = hkdf(sha256, shared, salt, info, 32);
    shared.fill(0);
    return key;
  }

  /**
   * Sends `peerId` the keys it lacks: the one we seal with, then a pending one. A key counts as sent
   * only when the signaling socket took it; otherwise the retry timer tries again.
   */
  #sendKeys(peerId: string): void {
    const state = this.#peers.get(peerId);
    if (!state?.pairKey) return;
    for (const frameKey of [this.#current, this.#pending]) {
      if (!frameKey || state.sent.has(frameKey)) continue;
      const nonce = this.#random(E2EE_WRAP_NONCE_BYTES).slice();
      const plain = concat(frameKey.key, frameKey.salt);
      const box = chacha20poly1305(
        state.pairKey,
        nonce,
        wrapAad(this.#self!, peerId, frameKey.keyId),
      ).encrypt(plain);
      plain.fill(0);
      if (this.#publish(e2eeKey(frameKey.keyId, nonce, box), peerId)) state.sent.add(frameKey);
      else this.#scheduleRetry();
    }
  }

  #scheduleRetry(): void {
    if (this.#retryTimer !== null || this.#disposed) return;
    this.#retryTimer = setTimeout(() => this.#retry(), this.#retryDelayMs);
  }

  /** Sends every key still unsent; backs off while the socket keeps refusing, resets once all went. */
  #retry(): void {
    this.#retryTimer = null;
    for (const peerId of this.#peers.keys()) this.#sendKeys(peerId);
    if (this.#retryTimer === null) this.#retryDelayMs = SFU_KEY_RETRY_MIN_MS;
    else {
      clearTimeout(this.#retryTimer);
      this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, SFU_KEY_RETRY_MAX_MS);
      this.#retryTimer = setTimeout(() => this.#retry(), this.#retryDelayMs);
    }
  }

  #switchToPending(): void {
    if (this.#switchTimer !== null) clearTimeout(this.#switchTimer);
    this.#switchTimer = null;
    if (!this.#pending || this.#disposed) return;
    this.#current = this.#pending;
    this.#pending = null;
    this.events.emit('send-key', this.#current);
  }

  #problem(code: SfuKeysProblemCode, peerId: string, detail: string): void {
    this.events.emit('problem', { code, peerId, detail });
  }

  /**
   * Forgets the visit: timers, key pair, pairwise keys. Sender keys are not zeroed: they were handed
   * to the session (send-key) and may still be in use there.
   */
  #wipe(): void {
    if (this.#switchTimer !== null) clearTimeout(this.#switchTimer);
    this.#switchTimer = null;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#retryDelayMs = SFU_KEY_RETRY_MIN_MS;
    this.#secret?.fill(0);
    this.#secret = null;
    this.#public = null;
    for (const [peerId, state] of [...this.#peers]) this.#forget(peerId, state);
    this.#current = null;
    this.#pending = null;
  }
}
