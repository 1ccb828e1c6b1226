import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AUDIO_FRAME_HEADER_BYTES, AudioCodec, writeAudioFrameHeader } from '../protocol/audio-frame';
import { x25519 } from '@noble/curves/ed25519.js';
import { fromBase64, toBase64 } from '../protocol/base64';
import { e2eeHello } from '../protocol/e2ee-messages';
import { type FrameKey, FrameOpener, FrameSealer, type OpenResult } from '../protocol/sealed-frame';
import {
  SFU_KEY_PUB_CHANGE_INTERVAL_MS,
  SFU_KEY_REQUEST_INTERVAL_MS,
  SFU_KEY_RETRY_MAX_MS,
  SFU_KEY_RETRY_MIN_MS,
  SFU_KEY_SWITCH_DELAY_MS,
  SFU_KEY_WANT_INTERVAL_MS,
  SfuKeys,
  type SfuKeysProblem,
} from './sfu-keys';

const TOPIC = 'studio-e2ee-test';

/** Counts X25519 agreements (the costly step a peer cycling public keys would make us repeat). */
const sharedSecrets = vi.hoisted(() => vi.fn());
vi.mock('@noble/curves/ed25519.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('@noble/curves/ed25519.js')>();
  const getSharedSecret = (secret: Uint8Array, pub: Uint8Array) => {
    sharedSecrets();
    return original.x25519.getSharedSecret(secret, pub);
  };
  return { ...original, x25519: { ...original.x25519, getSharedSecret } };
});

interface Sent {
  from: string;
  to?: string;
  json: string;
}

/**
 * The relay as SfuKeys sees it: `publish` to one peer (`to`) or to every other subscriber, the data
 * going through JSON, and each delivery stamped with the sender's peer id (the attested `from`).
 * Deliveries are queued and run by `flush`, like messages arriving on a socket later.
 */
class FakeRelay {
  readonly players = new Map<string, Player>();
  readonly log: Sent[] = [];
  readonly #queue: Sent[] = [];
  /** The sender's socket refuses these (publish returns false; nothing goes out). */
  refuse: ((sent: Sent) => boolean) | null = null;
  /** The relay drops these silently (over its rate limit): publish returned true, nobody gets them. */
  drop: ((sent: Sent) => boolean) | null = null;
  refused = 0;

  publisher(from: string): (data: unknown, to?: string) => boolean {
    return (data, to) => {
      const sent = { from, json: JSON.stringify(data), ...(to === undefined ? {} : { to }) };
      if (this.refuse?.(sent)) {
        this.refused++;
        return false;
      }
      this.log.push(sent);
      if (!this.drop?.(sent)) this.#queue.push(sent);
      return true;
    };
  }

  /** Delivers as the relay would, including data a test forges (`from` is what the relay stamps). */
  deliver(sent: Sent): void {
    for (const [peerId, player] of this.players) {
      if (peerId === sent.from || (sent.to !== undefined && sent.to !== peerId)) continue;
      player.keys.handle(sent.from, JSON.parse(sent.json));
    }
  }

  flush(): void {
    for (let guard = 0; this.#queue.length > 0; guard++) {
      if (guard > 10_000) throw new Error('message storm');
      this.deliver(this.#queue.shift()!);
    }
  }
}

/** One visit as the session would wire it: SfuKeys → one sealer, one opener per peer. */
class Player {
  readonly keys: SfuKeys;
  sealer: FrameSealer | null = null;
  readonly sendKeys: FrameKey[] = [];
  readonly openers = new Map<string, FrameOpener>();
  readonly receivedKeys: FrameKey[] = [];
  readonly problems: SfuKeysProblem[] = [];
  #seq = 0;

  constructor(
    readonly peerId: string,
    relay: FakeRelay,
  ) {
    // Date.now is the fake timers' clock, so the throttles move with vi.advanceTimersByTime.
    this.keys = new SfuKeys({ topic: TOPIC, publish: relay.publisher(peerId), now: () => Date.now() });
    this.keys.events.on('send-key', (key) => {
      this.sendKeys.push(key);
      this.sealer = new FrameSealer(key);
    });
    this.keys.events.on('peer-key', ({ peerId: from, ...key }) => {
      this.receivedKeys.push(key);
      let opener = this.openers.get(from);
      if (!opener) this.openers.set(from, (opener = new FrameOpener()));
      opener.setKey(key);
    });
    this.keys.events.on('problem', (problem) => this.problems.push(problem));
    relay.players.set(peerId, this);
  }

  seal(): { frame: Uint8Array; sealed: Uint8Array } {
    const frame = new Uint8Array(AUDIO_FRAME_HEADER_BYTES + 40);
    const seq = this.#seq++;
    writeAudioFrameHeader(frame, {
      codec: AudioCodec.Opus,
      channels: 1,
      flags: 0,
      seq,
      senderTime: seq * 120,
      frameSamples: 120,
    });
    frame.fill(seq & 0xff, AUDIO_FRAME_HEADER_BYTES);
    return { frame, sealed: this.sealer!.seal(frame)! };
  }

  open(from: string, sealed: Uint8Array): OpenResult {
    return this.openers.get(from)?.open(sealed) ?? { ok: false, reason: 'unknown-key' };
  }
}

/** a, b and c arrive one after another, as the relay's `subscribed` and `peer-joined` say. */
function threePlayers(relay = new FakeRelay()) {
  const a = new Player('peer-a', relay);
  a.keys.reset('peer-a', []);
  relay.flush();
  const b = new Player('peer-b', relay);
  a.keys.join('peer-b');
  b.keys.reset('peer-b', ['peer-a']);
  relay.flush();
  const c = new Player('peer-c', relay);
  a.keys.join('peer-c');
  b.keys.join('peer-c');
  c.keys.reset('peer-c', ['peer-a', 'peer-b']);
  relay.flush();
  return { relay, a, b, c, all: [a, b, c] };
}

function expectOpens(receiver: Player, sender: Player): void {
  const { frame, sealed } = sender.seal();
  const opened = receiver.open(sender.peerId, sealed);
  expect(opened, `${receiver.peerId} opens ${sender.peerId}`).toEqual({ ok: true, frame });
}

/** Every byte string the relay could decode from what it carried. */
function relayBytes(relay: FakeRelay): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const { json } of relay.log) {
    for (const value of Object.values(JSON.parse(json) as Record<string, unknown>)) {
      if (typeof value !== 'string') continue;
      const bytes = fromBase64(value, (value.length / 4) * 3 - value.match(/=*$/)![0].length);
      if (bytes) out.push(bytes);
    }
  }
  return out;
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

describe('SfuKeys', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives three attested peers each other’s sender keys, so sealed frames open end to end', () => {
    const { all } = threePlayers();
    for (const sender of all) {
      expect(sender.sendKeys).toHaveLength(1);
      for (const receiver of all) if (receiver !== sender) expectOpens(receiver, sender);
    }
    for (const player of all) expect(player.problems).toEqual([]);
    // A frame sealed by a opens for b only under a's key: b's opener for c refuses it.
    const { sealed } = all[0]!.seal();
    expect(all[1]!.open('peer-c', sealed).ok).toBe(false);
  });

  it('never shows the relay a sender key, a salt or the secret in clear', () => {
    const { relay, all } = threePlayers();
    const secrets = all.flatMap((p) => p.sendKeys.flatMap((k) => [k.key, k.salt]));
    expect(secrets.length).toBe(6);
    const carried = relayBytes(relay);
    expect(carried.length).toBeGreaterThan(6);
    const wraps = relay.log.filter(({ json }) => json.includes('"e2ee-key"'));
    expect(wraps.length).toBe(6); // each of three sends its key to each of two
    for (const secret of secrets) {
      for (const bytes of carried) expect(contains(bytes, secret)).toBe(false);
      for (const { json } of relay.log) expect(json).not.toContain(toBase64(secret));
    }
    for (const { json } of wraps) {
      const box = fromBase64((JSON.parse(json) as { box: string }).box, 52)!;
      for (const key of all.flatMap((p) => p.sendKeys)) {
        expect(contains(box, key.key.subarray(0, 8))).toBe(false);
      }
    }
  });

  it('rotates when a peer leaves: the leaver never gets the new key, and frames under it are closed to them', () => {
    const { relay, a, b, c } = threePlayers();
    const oldKeyOfA = a.sendKeys[0]!;
    relay.players.delete('peer-c');
    const cut = relay.log.length;
    a.keys.leave('peer-c');
    b.keys.leave('peer-c');
    relay.flush();
    // Until the switch, a still seals with the old key (the new one is on its way): b and c open it.
    expect(a.sendKeys).toHaveLength(1);
    expectOpens(b, a);
    expect(c.open('peer-a', a.seal().sealed).ok).toBe(true);
    vi.advanceTimersByTime(SFU_KEY_SWITCH_DELAY_MS);
    expect(a.sendKeys).toHaveLength(2);
    const newKeyOfA = a.sendKeys[1]!;
    expect(newKeyOfA.keyId).toBe((oldKeyOfA.keyId + 1) & 0xff);
    expect(newKeyOfA.key).not.toEqual(oldKeyOfA.key);
    expectOpens(b, a);
    expectOpens(a, b);
    expect(c.open('peer-a', a.seal().sealed)).toEqual({ ok: false, reason: 'unknown-key' });
    expect(c.open('peer-b', b.seal().sealed)).toEqual({ ok: false, reason: 'unknown-key' });
    // Nothing after the leave was addressed to c, nor broadcast.
    expect(relay.log.slice(cut).filter((m) => m.to !== 'peer-b' && m.to !== 'peer-a')).toEqual([]);
    expect(c.receivedKeys.some((k) => k.keyId === newKeyOfA.keyId && k.key === newKeyOfA.key)).toBe(false);
    // b still opens frames a sealed with the old key just before the switch (it keeps two per peer).
    expect(b.openers.get('peer-a')!.keyIds).toEqual([oldKeyOfA.keyId, newKeyOfA.keyId]);
  });

  it('on a second leave during a pending switch, seals with the pending key so receivers hold it', () => {
    const relay = new FakeRelay();
    const players = ['peer-a', 'peer-b', 'peer-c', 'peer-d'].map((id) => new Player(id, relay));
    players.forEach((p, i) =>
      p.keys.reset(
        p.peerId,
        players.slice(0, i).map((q) => q.peerId),
      ),
    );
    players.forEach((p, i) => players.slice(i + 1).forEach((q) => p.keys.join(q.peerId)));
    relay.flush();
    const [a, b] = players as [Player, Player];
    relay.players.delete('peer-c');
    relay.players.delete('peer-d');
    a.keys.leave('peer-c');
    relay.flush();
    a.keys.leave('peer-d');
    relay.flush();
    expect(a.sendKeys.map((k) => k.keyId)).toEqual([0, 1]);
    expectOpens(b, a);
    vi.advanceTimersByTime(SFU_KEY_SWITCH_DELAY_MS);
    expect(a.sendKeys.map((k) => k.keyId)).toEqual([0, 1, 2]);
    expectOpens(b, a);
    expect(a.problems).toEqual([]);
  });

  it('refuses messages from peers outside the roster, forged or misdirected wraps and junk, without throwing', () => {
    const { relay, a, b, c } = threePlayers();
    const keysBefore = a.receivedKeys.length;
    const wrapFromBToA = relay.log.find(
      (m) => m.from === 'peer-b' && m.to === 'peer-a' && m.json.includes('e2ee-key'),
    )!;
    const wrapFromCToA = relay.log.find(
      (m) => m.from === 'peer-c' && m.to === 'peer-a' && m.json.includes('e2ee-key'),
    )!;
    const hello = relay.log.find((m) => m.from === 'peer-b' && m.json.includes('e2ee-hello'))!;

    // A copy of a real wrap, sent by someone who is not in the studio.
    relay.deliver({ from: 'peer-mallory', to: 'peer-a', json: wrapFromBToA.json });
    relay.deliver({ from: 'peer-mallory', to: 'peer-a', json: hello.json });
    // b's wrap with one bit of the box flipped.
    const tampered = JSON.parse(wrapFromBToA.json) as { box: string };
    const box = fromBase64(tampered.box, 52)!;
    box[10]! ^= 1;
    relay.deliver({
      from: 'peer-b',
      to: 'peer-a',
      json: JSON.stringify({ ...tampered, box: toBase64(box) }),
    });
    // c's wrap for a, replayed as if b sent it (under the wrong pairwise key).
    relay.deliver({ from: 'peer-b', to: 'peer-a', json: wrapFromCToA.json });
    // b's own wrap to a, relabelled with another keyId (bound as AAD).
    const relabelled = { ...(JSON.parse(wrapFromBToA.json) as { keyId: number }), keyId: 9 };
    relay.deliver({ from: 'peer-b', to: 'peer-a', json: JSON.stringify(relabelled) });
    // a's wrap to b reflected back to a as if from b.
    const wrapFromAToB = relay.log.find(
      (m) => m.from === 'peer-a' && m.to === 'peer-b' && m.json.includes('e2ee-key'),
    )!;
    relay.deliver({ from: 'peer-b', to: 'peer-a', json: wrapFromAToB.json });
    // Junk, and a low-order X25519 point.
    for (const junk of [
      { type: 'e2ee-key', v: 1 },
      { type: 'e2ee-hello', v: 2, pub: toBase64(new Uint8Array(32)) },
      { type: 'e2ee-hello', v: 1, pub: 'not base64' },
      { type: 'e2ee-whatever', v: 1 },
      {
        type: 'e2ee-key',
        v: 1,
        keyId: 256,
        nonce: toBase64(new Uint8Array(12)),
        box: toBase64(new Uint8Array(52)),
      },
    ]) {
      relay.deliver({ from: 'peer-b', to: 'peer-a', json: JSON.stringify(junk) });
    }
    relay.deliver({
      from: 'peer-c',
      to: 'peer-a',
      json: JSON.stringify({ type: 'e2ee-hello', v: 1, pub: toBase64(new Uint8Array(32)) }),
    });
    relay.flush();

    expect(a.problems.map((p) => `${p.code} ${p.peerId}`)).toEqual([
      'not-in-roster peer-mallory',
      'not-in-roster peer-mallory',
      'bad-wrap peer-b',
      'bad-wrap peer-b',
      'bad-wrap peer-b',
      'bad-wrap peer-b',
      'malformed peer-b',
      'malformed peer-b',
      'malformed peer-b',
      'malformed peer-b',
      'malformed peer-b',
      'bad-public-key peer-c',
    ]);
    expect(a.receivedKeys.length).toBe(keysBefore);
    // a still opens b and c: nothing refused replaced a key.
    expectOpens(a, b);
    expectOpens(a, c);
    // Our own messages and other signaling data are not e2ee business.
    expect(a.keys.handle('peer-b', { type: 'signal', signal: {} })).toBe(false);
    expect(a.keys.handle('peer-b', 'e2ee-hello')).toBe(false);
    expect(a.keys.handle('peer-a', JSON.parse(hello.json))).toBe(true);
    expect(a.problems.at(-1)?.code).toBe('not-in-roster');
  });

  it('recovers when a hello arrived before the relay announced its sender', () => {
    const relay = new FakeRelay();
    const a = new Player('peer-a', relay);
    a.keys.reset('peer-a', []);
    const b = new Player('peer-b', relay);
    b.keys.reset('peer-b', ['peer-a']);
    relay.flush(); // b's hellos and wrap reach a, which does not know b yet
    expect(a.problems.map((p) => p.code)).toEqual(['not-in-roster', 'not-in-roster', 'not-in-roster']);
    expect(a.openers.size).toBe(0);
    a.keys.join('peer-b');
    relay.flush();
    // b answered a's first want (refused by a, which did not know b yet) a moment ago: it answers
    // this one once its want window has passed.
    expect(a.openers.size).toBe(0);
    vi.advanceTimersByTime(SFU_KEY_WANT_INTERVAL_MS);
    relay.flush();
    expectOpens(a, b);
    expectOpens(b, a);
  });

  it('a wrap before the hello asks for the hello again', () => {
    const { relay } = threePlayers();
    const wrap = relay.log.find(
      (m) => m.from === 'peer-b' && m.to === 'peer-a' && m.json.includes('e2ee-key'),
    )!;
    // A visit that lost its state (never saw b's hello) gets b's wrap.
    const sent: Sent[] = [];
    const lost = new SfuKeys({
      topic: TOPIC,
      publish: (data, to) => sent.push({ from: 'peer-a', to, json: JSON.stringify(data) }) > 0,
    });
    const problems: SfuKeysProblem[] = [];
    lost.events.on('problem', (p) => problems.push(p));
    lost.reset('peer-a', ['peer-b']);
    expect(lost.handle('peer-b', JSON.parse(wrap.json))).toBe(true);
    expect(problems.map((p) => p.code)).toEqual(['no-pairwise-key']);
    expect(sent.at(-1)).toMatchObject({ to: 'peer-b' });
    expect(JSON.parse(sent.at(-1)!.json)).toMatchObject({ type: 'e2ee-hello', want: true });
    lost.dispose();
  });

  it('a resumed visit (same peer id) keeps its keys; one with a peer gone rotates', () => {
    const { relay, a, b, c } = threePlayers();
    a.keys.reset('peer-a', ['peer-b', 'peer-c']);
    relay.flush();
    vi.advanceTimersByTime(SFU_KEY_SWITCH_DELAY_MS);
    expect(a.sendKeys).toHaveLength(1);
    expectOpens(b, a);
    expectOpens(c, a);
    relay.players.delete('peer-c');
    a.keys.reset('peer-a', ['peer-b']);
    relay.flush();
    vi.advanceTimersByTime(SFU_KEY_SWITCH_DELAY_MS);
    expect(a.sendKeys).toHaveLength(2);
    expectOpens(b, a);
    expect(c.open('peer-a', a.seal().sealed)).toEqual({ ok: false, reason: 'unknown-key' });
    // A new visit (new peer id) starts over with a new key pair and sender key.
    a.keys.reset('peer-a2', []);
    expect(a.sendKeys).toHaveLength(3);
  });

  it('dispose is idempotent, stops the switch timer, and ignores later messages', () => {
    const { relay, a, b } = threePlayers();
    a.keys.leave('peer-c');
    a.keys.dispose();
    a.keys.dispose();
    vi.advanceTimersByTime(SFU_KEY_SWITCH_DELAY_MS * 2);
    expect(a.sendKeys).toHaveLength(1);
    const hello = relay.log.find((m) => m.from === 'peer-b' && m.json.includes('e2ee-hello'))!;
    expect(a.keys.handle('peer-b', JSON.parse(hello.json))).toBe(true);
    const logged = relay.log.length;
    a.keys.join('peer-d');
    a.keys.rotate();
    expect(relay.log.length).toBe(logged);
    expect(b.problems).toEqual([]);
  });

  it('counts a wrapped key as sent only when the socket took it, and retries with backoff until it goes', () => {
    const relay = new FakeRelay();
    const a = new Player('peer-a', relay);
    a.keys.reset('peer-a', []);
    const b = new Player('peer-b', relay);
    const aToB = (m: Sent) => m.from === 'peer-a' && m.to === 'peer-b' && m.json.includes('e2ee-key');
    relay.refuse = aToB;
    a.keys.join('peer-b');
    b.keys.reset('peer-b', ['peer-a']);
    relay.flush();
    expect(relay.refused).toBeGreaterThan(0);
    expect(b.open('peer-a', a.seal().sealed)).toEqual({ ok: false, reason: 'unknown-key' });
    expectOpens(a, b); // the other direction went
    // Refused again at each retry, waiting twice as long each time, up to the cap.
    const attempts: number[] = [];
    for (let t = 1; t <= 12_000; t++) {
      const before = relay.refused;
      vi.advanceTimersByTime(1);
      if (relay.refused > before) attempts.push(t);
    }
    const gaps = attempts.map((t, i) => t - (attempts[i - 1] ?? 0));
    expect(gaps.slice(0, 5)).toEqual([
      SFU_KEY_RETRY_MIN_MS,
      SFU_KEY_RETRY_MIN_MS * 2,
      SFU_KEY_RETRY_MIN_MS * 4,
      SFU_KEY_RETRY_MIN_MS * 8,
      SFU_KEY_RETRY_MAX_MS,
    ]);
    // The socket takes it again: the next retry delivers it, and the retries stop.
    relay.refuse = null;
    vi.advanceTimersByTime(SFU_KEY_RETRY_MAX_MS);
    relay.flush();
    expectOpens(b, a);
    const logged = relay.log.length;
    vi.advanceTimersByTime(SFU_KEY_RETRY_MAX_MS * 3);
    expect(relay.log.length).toBe(logged);
    expect(a.problems).toEqual([]);
  });

  it('dispose stops the retries', () => {
    const relay = new FakeRelay();
    const a = new Player('peer-a', relay);
    a.keys.reset('peer-a', []);
    const b = new Player('peer-b', relay);
    relay.refuse = (m) => m.from === 'peer-a' && m.json.includes('e2ee-key');
    a.keys.join('peer-b');
    b.keys.reset('peer-b', ['peer-a']);
    relay.flush();
    const first = relay.refused;
    vi.advanceTimersByTime(SFU_KEY_RETRY_MIN_MS);
    const refused = relay.refused;
    expect(refused).toBe(first + 1);
    a.keys.dispose();
    vi.advanceTimersByTime(SFU_KEY_RETRY_MAX_MS * 3);
    expect(relay.refused).toBe(refused);
  });

  it('requestKey recovers a key the relay dropped, asking each peer at most once per interval', () => {
    const relay = new FakeRelay();
    const a = new Player('peer-a', relay);
    a.keys.reset('peer-a', []);
    const b = new Player('peer-b', relay);
    // Over the relay's rate limit: a's wrapped key to b is dropped after the socket took it.
    relay.drop = (m) => m.from === 'peer-a' && m.to === 'peer-b' && m.json.includes('e2ee-key');
    a.keys.join('peer-b');
    b.keys.reset('peer-b', ['peer-a']);
    relay.flush();
    relay.drop = null;
    expect(b.open('peer-a', a.seal().sealed)).toEqual({ ok: false, reason: 'unknown-key' });
    vi.advanceTimersByTime(SFU_KEY_WANT_INTERVAL_MS); // a answered b's first want just now
    expect(b.keys.requestKey('peer-a')).toBe(true);
    const asked = relay.log.at(-1)!;
    expect(asked).toMatchObject({ from: 'peer-b', to: 'peer-a' });
    expect(JSON.parse(asked.json)).toMatchObject({ type: 'e2ee-hello', want: true });
    relay.flush();
    expectOpens(b, a);
    // Throttled per peer; unknown peers are not asked at all.
    const logged = relay.log.length;
    expect(b.keys.requestKey('peer-a')).toBe(false);
    expect(b.keys.requestKey('peer-nobody')).toBe(false);
    vi.advanceTimersByTime(SFU_KEY_REQUEST_INTERVAL_MS - 1);
    expect(b.keys.requestKey('peer-a')).toBe(false);
    expect(relay.log.length).toBe(logged);
    vi.advanceTimersByTime(1);
    expect(b.keys.requestKey('peer-a')).toBe(true);
    expect(a.problems).toEqual([]);
  });

  it('answers a flood of wants at most once per interval per peer, and reports the excess', () => {
    const { relay, a, b } = threePlayers();
    vi.advanceTimersByTime(SFU_KEY_WANT_INTERVAL_MS);
    const want = relay.log.find((m) => m.from === 'peer-b' && m.json.includes('"want":true'))!;
    const fromA = () => relay.log.filter((m) => m.from === 'peer-a').length;
    const before = fromA();
    for (let i = 0; i < 50; i++) relay.deliver({ from: 'peer-b', to: 'peer-a', json: want.json });
    expect(fromA() - before).toBe(2); // one hello, one wrapped key
    // One want inside the window is answered at its end; the other 48 are ignored and reported.
    expect(a.problems.map((p) => `${p.code} ${p.peerId}`)).toEqual(Array(48).fill('throttled peer-b'));
    vi.advanceTimersByTime(SFU_KEY_WANT_INTERVAL_MS);
    expect(fromA() - before).toBe(4);
    vi.advanceTimersByTime(SFU_KEY_WANT_INTERVAL_MS * 5);
    expect(fromA() - before).toBe(4);
    // c's wants have their own window.
    const wantOfC = relay.log.find((m) => m.from === 'peer-c' && m.json.includes('"want":true'))!;
    relay.deliver({ from: 'peer-c', to: 'peer-a', json: wantOfC.json });
    expect(fromA() - before).toBe(6);
    relay.flush();
    expectOpens(b, a);
    expectOpens(a, b);
  });

  it('accepts a changed public key from a peer id at most once per interval, with no X25519 for a refused one', () => {
    const { relay, a } = threePlayers();
    const shared = sharedSecrets;
    shared.mockClear();
    const hello = () => JSON.stringify(e2eeHello(x25519.getPublicKey(x25519.utils.randomSecretKey()), false));
    relay.deliver({ from: 'peer-b', to: 'peer-a', json: hello() });
    expect(shared).toHaveBeenCalledTimes(1);
    expect(a.problems).toEqual([]);
    for (let i = 0; i < 20; i++) relay.deliver({ from: 'peer-b', to: 'peer-a', json: hello() });
    expect(shared).toHaveBeenCalledTimes(1);
    expect(a.problems.map((p) => `${p.code} ${p.peerId}`)).toEqual(Array(20).fill('throttled peer-b'));
    // Other peers are not affected; after the interval b may change once more.
    relay.deliver({ from: 'peer-c', to: 'peer-a', json: hello() });
    expect(shared).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(SFU_KEY_PUB_CHANGE_INTERVAL_MS);
    relay.deliver({ from: 'peer-b', to: 'peer-a', json: hello() });
    expect(shared).toHaveBeenCalledTimes(3);
    expect(a.problems).toHaveLength(20);
  });
});
