import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { toBase64 } from '../protocol/base64';
import { encodeRelaySync, parseRelaySync, RELAY_SYNC_MAX_CHARS } from '../protocol/relay-sync';
import { SYNC_CHUNK_BYTES } from '../protocol/sync-wire';
import { RelaySync } from './relay-link';

function setup(options: { audience?: number; online?: () => boolean } = {}) {
  const sent: Array<{ to?: string; messages: number[][] }> = [];
  let clock = 0;
  const relay = new RelaySync({
    publish: (data, to) => {
      if (options.online && !options.online()) return false;
      const messages = parseRelaySync(data)!.map((b) => [...b]);
      sent.push(to === undefined ? { messages } : { to, messages });
      return true;
    },
    audience: () => options.audience ?? 2,
    flushMs: 50,
    ratePerSecond: 10,
    now: () => clock,
  });
  const advance = async (ms: number) => {
    clock += ms;
    await vi.advanceTimersByTimeAsync(ms);
  };
  return { relay, sent, advance };
}

const bytes = (...values: number[]) => new Uint8Array(values);

describe('relay sync wire', () => {
  it('round-trips messages and refuses malformed, oversized and other-version publishes', () => {
    const messages = [bytes(0, 1, 2), bytes(255), new Uint8Array(SYNC_CHUNK_BYTES).fill(7)];
    expect(parseRelaySync(encodeRelaySync(messages))).toEqual(messages);
    expect(parseRelaySync({ type: 'sync', v: 1, data: toBase64(bytes(9)) })).toEqual([bytes(9)]);
    const big = toBase64(new Uint8Array(SYNC_CHUNK_BYTES));
    for (const bad of [
      null,
      { type: 'sync', v: 2, data: ['AA=='] },
      { type: 'sync', v: 1, data: [] },
      { type: 'sync', v: 1, data: ['not base64!'] },
      { type: 'sync', v: 1, data: ['AAA'] }, // not a multiple of 4
      { type: 'sync', v: 1, data: [42] },
      { type: 'sync', v: 1, data: [big, big, big] }, // over RELAY_SYNC_MAX_CHARS
      { type: 'sync', v: 1, data: ['A'.repeat(RELAY_SYNC_MAX_CHARS)] }, // over one message's size
      { type: 'sync', v: 1, data: new Array(65).fill('AA==') },
    ]) {
      expect(parseRelaySync(bad)).toBeNull();
    }
  });
});

describe('RelaySync', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('coalesces what each link sends into one publish per peer per flush, in order', async () => {
    const { relay, sent, advance } = setup({ audience: 3 });
    const a = relay.link('peer-a');
    const b = relay.link('peer-b');
    expect(relay.link('peer-a')).toBe(a);
    expect(a.send(bytes(1))).toBe(true);
    expect(a.send(bytes(2))).toBe(true);
    expect(b.send(bytes(3))).toBe(true);
    expect(sent).toEqual([]);
    await advance(50);
    expect(sent).toEqual([
      { to: 'peer-a', messages: [[1], [2]] },
      { to: 'peer-b', messages: [[3]] },
    ]);
  });

  it('sends a message every other player needs once, to everyone', async () => {
    const { relay, sent, advance } = setup({ audience: 2 });
    const update = bytes(7, 7);
    relay.link('peer-a').send(bytes(1)); // a's own (sync step 1)
    relay.link('peer-a').send(update);
    relay.link('peer-b').send(update);
    relay.link('peer-b').send(bytes(2));
    await advance(50);
    expect(sent).toEqual([
      { messages: [[7, 7]] },
      { to: 'peer-a', messages: [[1]] },
      { to: 'peer-b', messages: [[2]] },
    ]);
  });

  it('targets a shared message when someone in the room has no relay link (it has a direct one)', async () => {
    const { relay, sent, advance } = setup({ audience: 3 });
    const update = bytes(7);
    relay.link('peer-a').send(update);
    relay.link('peer-b').send(update);
    await advance(50);
    expect(sent).toEqual([
      { to: 'peer-a', messages: [[7]] },
      { to: 'peer-b', messages: [[7]] },
    ]);
  });

  it('splits large queues into publishes under the frame limit, paced by the token bucket', async () => {
    const { relay, sent, advance } = setup({ audience: 1 });
    const piece = new Uint8Array(SYNC_CHUNK_BYTES);
    const link = relay.link('peer-a');
    for (let i = 0; i < 30; i++) link.send(piece.map(() => i));
    await advance(50);
    // Two pieces per publish, ten tokens: twenty pieces now, the rest as tokens come back.
    expect(sent).toHaveLength(10);
    expect(sent.every((p) => p.messages.length === 2)).toBe(true);
    await advance(400);
    expect(sent.length).toBeLessThan(15);
    await advance(1000);
    expect(sent).toHaveLength(15);
    const order = sent.flatMap((p) => p.messages.map((m) => m[0]));
    expect(order).toEqual([...Array(30).keys()]);
  });

  it('keeps messages queued while the relay connection is down, and fails sends past the queue limit', async () => {
    let online = false;
    const { relay, sent, advance } = setup({ audience: 1, online: () => online });
    const link = relay.link('peer-a');
    link.send(bytes(1));
    await advance(50);
    expect(sent).toEqual([]);
    online = true;
    await advance(500);
    expect(sent).toEqual([{ to: 'peer-a', messages: [[1]] }]);
    online = false;
    const huge = new Uint8Array(SYNC_CHUNK_BYTES);
    let accepted = 0;
    while (link.send(huge) && accepted < 1000) accepted++;
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThan(1000);
  });

  it('reports what arrives under the attested sender, consumes malformed sync publishes, and ignores the rest', () => {
    const { relay } = setup();
    const seen: string[] = [];
    relay.events.on('message', ({ peerId, bytes }) => seen.push(`${peerId}:${[...bytes].join(',')}`));
    relay.events.on('malformed', ({ peerId }) => seen.push(`malformed:${peerId}`));
    expect(relay.handle('peer-a', encodeRelaySync([bytes(1, 2), bytes(3)]))).toBe(true);
    expect(relay.handle('peer-b', { type: 'sync', v: 1, data: ['!!'] })).toBe(true);
    expect(relay.handle('peer-a', { type: 'signal', v: 2, signal: {} })).toBe(false);
    expect(seen).toEqual(['peer-a:1,2', 'peer-a:3', 'malformed:peer-b']);
  });

  it('drops what was queued for a closed link, and everything on dispose', async () => {
    const { relay, sent, advance } = setup({ audience: 2 });
    const a = relay.link('peer-a');
    a.send(bytes(1));
    relay.close('peer-a');
    expect(a.send(bytes(2))).toBe(false);
    relay.link('peer-b').send(bytes(3));
    relay.dispose();
    relay.dispose();
    await advance(1000);
    expect(sent).toEqual([]);
    expect(relay.handle('peer-b', encodeRelaySync([bytes(1)]))).toBe(true);
  });
});
