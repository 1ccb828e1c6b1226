import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SignalingClient, type SocketLike } from './signaling-client';

/** A scripted socket: the test plays the relay by calling `receive` and `drop`. */
class FakeSocket implements SocketLike {
  constructor(readonly url = '') {}
  readyState = 0;
  sent: Array<Record<string, unknown>> = [];
  closed: { code?: number; reason?: string } | null = null;
  onopen: SocketLike['onopen'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  onmessage: SocketLike['onmessage'] = null;
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code?: number, reason?: string) {
    this.closed = { code, reason };
    this.readyState = 3;
    queueMicrotask(() => this.onclose?.({ code: code ?? 1000, reason: reason ?? '' }));
  }
}

function setup(
  getTicket: () => Promise<{ ticket: string; topic: string; url?: string }> = vi.fn(async () => ({
    ticket: `t${(getTicket as ReturnType<typeof vi.fn>).mock.calls.length}`,
    topic: 'studio/abc',
  })),
) {
  const sockets: FakeSocket[] = [];
  const client = new SignalingClient({
    url: 'ws://relay.test/signal',
    getTicket,
    clientId: 4242,
    backoff: { min: 100, max: 400 },
    createSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
  });
  const events: string[] = [];
  client.events.on('state', ({ state }) => events.push(`state:${state}`));
  client.events.on('error', ({ code, fatal }) => events.push(`error:${code}:${fatal}`));
  client.events.on('subscribed', ({ clients }) => events.push(`subscribed:${clients}`));
  client.events.on('message', ({ data }) => events.push(`message:${JSON.stringify(data)}`));
  client.events.on('peer-joined', ({ peerId }) => events.push(`joined:${peerId}`));
  client.start();
  return { client, sockets, events, getTicket };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

const attested = (peerId: string, userId = 'u' + peerId.slice(-4)) => ({
  peerId,
  userId,
  role: 'member',
  name: 'N',
  instrument: '',
  client: 1,
  joinedAt: 1,
});
const subscribed = (clients: number) => ({
  type: 'subscribed',
  topic: 'studio/abc',
  clients,
  self: attested('peer-self0001'),
  peers: [],
  past: [],
  resume: 'resume-token-0123456789',
});

describe('SignalingClient', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('subscribes with a ticket after the welcome, then publishes and receives on its topic only', async () => {
    const { client, sockets, events } = setup();
    const socket = sockets[0]!;
    socket.open();
    expect(client.publish({ hello: 1 })).toBe(false); // not subscribed yet
    socket.receive({ type: 'welcome', version: 2 });
    await flush();
    expect(socket.sent).toEqual([{ type: 'subscribe', topics: ['studio/abc'], ticket: 't1', client: 4242 }]);
    socket.receive(subscribed(2));
    expect(client.state).toBe('open');
    expect(client.publish({ hello: 1 })).toBe(true);
    expect(client.publish({ hi: 2 }, 'peer-other01')).toBe(true);
    expect(socket.sent.slice(1)).toEqual([
      { type: 'publish', topic: 'studio/abc', data: { hello: 1 } },
      { type: 'publish', topic: 'studio/abc', data: { hi: 2 }, to: 'peer-other01' },
    ]);
    const from = attested('peer-other01');
    socket.receive({ type: 'publish', topic: 'studio/abc', data: { x: 1 }, from, clients: 2 });
    socket.receive({ type: 'publish', topic: 'studio/other', data: { x: 2 }, from, clients: 2 });
    socket.receive({ type: 'publish', topic: 'studio/abc', data: { x: 3 }, clients: 2 }); // no attested sender
    socket.receive('not json at all');
    expect(events).toContain('subscribed:2');
    expect(events.filter((e) => e.startsWith('message:'))).toEqual(['message:{"x":1}']);
  });

  it('reconnects with backoff and a fresh ticket when the connection drops', async () => {
    const { sockets, getTicket, events } = setup();
    sockets[0]!.open();
    sockets[0]!.receive({ type: 'welcome', version: 2 });
    await flush();
    sockets[0]!.drop();
    expect(events.at(-1)).toBe('state:reconnecting');
    await vi.advanceTimersByTimeAsync(99);
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(2);
    sockets[1]!.open();
    sockets[1]!.receive({ type: 'welcome', version: 2 });
    await flush();
    expect(getTicket).toHaveBeenCalledTimes(2);
    expect(sockets[1]!.sent[0]).toMatchObject({ type: 'subscribe', ticket: 't2' });
    expect(sockets[1]!.sent[0]).not.toHaveProperty('resume'); // never admitted yet: nothing to resume
  });

  it('asks to keep its peer id when it re-subscribes after a drop', async () => {
    const { sockets } = setup();
    sockets[0]!.open();
    sockets[0]!.receive({ type: 'welcome', version: 2 });
    await flush();
    sockets[0]!.receive(subscribed(2));
    sockets[0]!.drop();
    await vi.advanceTimersByTimeAsync(100);
    sockets[1]!.open();
    sockets[1]!.receive({ type: 'welcome', version: 2 });
    await flush();
    expect(sockets[1]!.sent[0]).toMatchObject({
      type: 'subscribe',
      client: 4242,
      resume: { peerId: 'peer-self0001', token: 'resume-token-0123456789' },
    });
  });

  describe('recording', () => {
    const connected = async (mayRecord: boolean) => {
      const setupResult = setup();
      const socket = setupResult.sockets[0]!;
      socket.open();
      socket.receive({ type: 'welcome', version: 2 });
      await flush();
      socket.receive({ ...subscribed(2), mayRecord });
      return { ...setupResult, socket };
    };

    it('is refused while not subscribed, and sends exactly {type, on} once subscribed', async () => {
      const { client, sockets } = setup();
      expect(client.setRecording(true)).toBe(false);
      expect(client.mayRecord).toBe(false);
      const socket = sockets[0]!;
      socket.open();
      socket.receive({ type: 'welcome', version: 2 });
      await flush();
      const allowed: boolean[] = [];
      client.events.on('may-record', (on) => allowed.push(on));
      socket.receive({ ...subscribed(2), mayRecord: true });
      expect(client.mayRecord).toBe(true);
      expect(allowed).toEqual([true]);
      // The `true` refused before the subscribe was not remembered: nothing is sent on its own.
      expect(socket.sent.filter((m) => m.type === 'recording')).toEqual([]);
      expect(client.setRecording(true)).toBe(true);
      expect(socket.sent.at(-1)).toEqual({ type: 'recording', on: true });
    });

    it('says it again on the next subscribe while on, and not after it stopped', async () => {
      const { client, sockets, socket } = await connected(true);
      client.setRecording(true);
      socket.drop();
      await vi.advanceTimersByTimeAsync(100);
      const second = sockets[1]!;
      second.open();
      second.receive({ type: 'welcome', version: 2 });
      await flush();
      second.receive({ ...subscribed(2), mayRecord: true });
      expect(second.sent.filter((m) => m.type === 'recording')).toEqual([{ type: 'recording', on: true }]);
      expect(client.setRecording(false)).toBe(true);
      second.drop();
      await vi.advanceTimersByTimeAsync(200);
      const third = sockets[2]!;
      third.open();
      third.receive({ type: 'welcome', version: 2 });
      await flush();
      third.receive({ ...subscribed(2), mayRecord: true });
      expect(third.sent.filter((m) => m.type === 'recording')).toEqual([]);
    });

    it('reports peer-recording and permission changes of its topic; a refusal or withdrawal ends the resend', async () => {
      const { client, sockets, socket, events } = await connected(true);
      const heard: string[] = [];
      client.events.on('peer-recording', ({ peerId, on }) => heard.push(`${peerId}:${on}`));
      client.events.on('may-record', (on) => heard.push(`may:${on}`));
      socket.receive({ type: 'peer-recording', topic: 'studio/abc', peerId: 'peer-other01', on: true });
      socket.receive({ type: 'peer-recording', topic: 'studio/zzz', peerId: 'peer-other02', on: true });
      socket.receive({ type: 'peer-recording', topic: 'studio/abc', peerId: 'bad', on: true });
      client.setRecording(true);
      socket.receive({ type: 'recording-permission', topic: 'studio/abc', allowed: false });
      socket.receive({
        type: 'error',
        code: 'recording-not-allowed',
        message: 'no',
        topic: 'studio/abc',
      });
      expect(heard).toEqual(['peer-other01:true', 'may:false']);
      expect(client.mayRecord).toBe(false);
      // Not fatal, no reconnect: the socket stays.
      expect(events).toContain('error:recording-not-allowed:false');
      expect(socket.closed).toBeNull();
      socket.drop();
      await vi.advanceTimersByTimeAsync(100);
      sockets[1]!.open();
      sockets[1]!.receive({ type: 'welcome', version: 2 });
      await flush();
      sockets[1]!.receive({ ...subscribed(2), mayRecord: true });
      expect(sockets[1]!.sent.filter((m) => m.type === 'recording')).toEqual([]);
    });

    it('passes the relay-attested recording flags of subscribed on', async () => {
      const { client, sockets } = setup();
      const seen: Array<{ peers: unknown; mayRecord: boolean }> = [];
      client.events.on('subscribed', ({ peers, mayRecord }) => seen.push({ peers, mayRecord }));
      sockets[0]!.open();
      sockets[0]!.receive({ type: 'welcome', version: 2 });
      await flush();
      sockets[0]!.receive({
        ...subscribed(2),
        peers: [{ ...attested('peer-other01'), recording: true }],
      });
      expect(seen).toEqual([{ peers: [{ ...attested('peer-other01'), recording: true }], mayRecord: false }]);
    });
  });

  it('retries on room-full and expired tickets, and stops for good on an incompatible relay', async () => {
    const { sockets, events } = setup();
    sockets[0]!.open();
    sockets[0]!.receive({ type: 'welcome', version: 2 });
    await flush();
    sockets[0]!.receive({ type: 'error', code: 'room-full', message: 'This studio is full.' });
    expect(events).toContain('error:room-full:false');
    await vi.advanceTimersByTimeAsync(100);
    expect(sockets).toHaveLength(2);
    sockets[1]!.open();
    sockets[1]!.receive({ type: 'welcome', version: 99 });
    expect(events).toContain('error:incompatible-version:true');
    expect(events.at(-1)).toBe('state:stopped');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets).toHaveLength(2);
  });

  it('stops for good when the relay replaced, revoked or closed this visit', async () => {
    for (const code of ['ticket-replaced', 'membership-revoked', 'studio-deleted', 'too-many-visits']) {
      const { sockets, events } = setup();
      sockets[0]!.open();
      sockets[0]!.receive({ type: 'welcome', version: 2 });
      await flush();
      sockets[0]!.receive(subscribed(2));
      sockets[0]!.receive({ type: 'error', code, message: 'Why, in words.' });
      expect(events).toContain(`error:${code}:true`);
      expect(events.at(-1)).toBe('state:stopped');
      sockets[0]!.receive({ type: 'peer-joined', topic: 'studio/abc', peer: attested('peer-late-0001') });
      expect(events.at(-1)).toBe('state:stopped'); // nothing after the stop reaches the session
      await vi.advanceTimersByTimeAsync(10_000);
      expect(sockets).toHaveLength(1);
    }
  });

  it('does not report a signal to a peer that just left as an error (the page would show it until a reconnect)', async () => {
    const { sockets, events } = setup();
    sockets[0]!.open();
    sockets[0]!.receive({ type: 'welcome', version: 2 });
    await flush();
    sockets[0]!.receive(subscribed(2));
    sockets[0]!.receive({
      type: 'error',
      code: 'unknown-peer',
      message: 'That peer is not in this studio (it may just have left).',
      topic: 'studio/abc',
    });
    sockets[0]!.receive({ type: 'error', code: 'rate-limited', message: 'Slow down.' });
    expect(events.filter((e) => e.startsWith('error:'))).toEqual(['error:rate-limited:false']);
    expect(sockets[0]!.closed).toBeNull();
  });

  it('reports the relay roster events for its topic only', async () => {
    const { client, sockets } = setup();
    const seen: string[] = [];
    client.events.on('peer-joined', (p) => seen.push(`joined:${p.peerId}`));
    client.events.on('peer-updated', (p) => seen.push(`updated:${p.peerId}:${p.role}`));
    client.events.on('peer-left', (p) => seen.push(`left:${p.peerId}:${p.reason}`));
    sockets[0]!.open();
    sockets[0]!.receive({ type: 'welcome', version: 2 });
    await flush();
    sockets[0]!.receive(subscribed(1));
    sockets[0]!.receive({ type: 'peer-joined', topic: 'studio/abc', peer: attested('peer-bbbb0001') });
    sockets[0]!.receive({ type: 'peer-joined', topic: 'studio/xyz', peer: attested('peer-cccc0001') });
    sockets[0]!.receive({ type: 'peer-joined', topic: 'studio/abc', peer: { peerId: 'x' } });
    sockets[0]!.receive({
      type: 'peer-updated',
      topic: 'studio/abc',
      peer: { ...attested('peer-bbbb0001'), role: 'engineer' },
    });
    sockets[0]!.receive({ type: 'peer-left', topic: 'studio/abc', peerId: 'peer-bbbb0001', reason: 'left' });
    expect(seen).toEqual([
      'joined:peer-bbbb0001',
      'updated:peer-bbbb0001:engineer',
      'left:peer-bbbb0001:left',
    ]);
  });

  it('carries the SFU: sends sfu-signal and route-request, reports sfu-signal and room-route of its topic', async () => {
    const { client, sockets } = setup();
    const seen: unknown[] = [];
    client.events.on('sfu-signal', (signal) => seen.push(signal));
    client.events.on('room-route', (route) => seen.push(route));
    const candidate = { kind: 'candidate', candidate: null } as const;
    expect(client.sendSfuSignal(candidate)).toBe(false); // not subscribed yet
    expect(client.requestRoute(true)).toBe(false);
    sockets[0]!.open();
    sockets[0]!.receive({ type: 'welcome', version: 2 });
    await flush();
    sockets[0]!.receive(subscribed(2));
    expect(client.sendSfuSignal(candidate)).toBe(true);
    expect(client.requestRoute(true)).toBe(true);
    expect(sockets[0]!.sent.slice(1)).toEqual([
      { type: 'sfu-signal', topic: 'studio/abc', signal: candidate },
      { type: 'route-request', topic: 'studio/abc', unreachable: true },
    ]);
    const offer = { kind: 'description', description: { type: 'answer', sdp: 'v=0' } };
    sockets[0]!.receive({ type: 'sfu-signal', topic: 'studio/abc', signal: offer });
    sockets[0]!.receive({ type: 'sfu-signal', topic: 'studio/xyz', signal: offer });
    sockets[0]!.receive({ type: 'sfu-signal', topic: 'studio/abc', signal: { kind: 'nonsense' } });
    const sources = [{ peerId: 'peer-other01', index: 3 }];
    sockets[0]!.receive({ type: 'room-route', topic: 'studio/abc', mode: 'sfu', sources });
    sockets[0]!.receive({ type: 'room-route', topic: 'studio/abc', mode: 'star', sources });
    sockets[0]!.receive({
      type: 'room-route',
      topic: 'studio/abc',
      mode: 'sfu',
      sources: [...sources, { peerId: 'peer-other02', index: 3 }], // two peers on one index
    });
    expect(seen).toEqual([offer, { mode: 'sfu', sources }]);
  });

  it('stops when the ticket is refused (not a member), and says why', async () => {
    const refused = Object.assign(new Error('You are not a member of this studio.'), { status: 403 });
    const { sockets, events } = setup(vi.fn(async () => Promise.reject(refused)));
    sockets[0]!.open();
    sockets[0]!.receive({ type: 'welcome', version: 2 });
    await flush();
    expect(events).toContain('error:ticket-unavailable:true');
    expect(events.at(-1)).toBe('state:stopped');
  });

  describe('rooms placed on several relays', () => {
    const RELAY_A = 'ws://relay.test/signal';
    const RELAY_B = 'ws://relay-b.test/signal';
    /** Tickets t1, t2, … naming `relayOf(n)`. */
    const tickets = (relayOf: (n: number) => string) => {
      let n = 0;
      return vi.fn(async () => {
        n += 1;
        return { ticket: `t${n}`, topic: 'studio/abc', url: relayOf(n) };
      });
    };

    it('takes a ticket naming another relay there, and subscribes with it', async () => {
      const getTicket = tickets(() => RELAY_B);
      const { sockets, events } = setup(getTicket);
      expect(sockets[0]!.url).toBe(RELAY_A);
      sockets[0]!.open();
      sockets[0]!.receive({ type: 'welcome', version: 2 });
      await flush();
      expect(sockets[0]!.sent).toEqual([]);
      expect(sockets[0]!.closed).toEqual({ code: 1000, reason: 'relay moved' });
      await vi.advanceTimersByTimeAsync(100);
      expect(sockets).toHaveLength(2);
      expect(sockets[1]!.url).toBe(RELAY_B);
      sockets[1]!.open();
      sockets[1]!.receive({ type: 'welcome', version: 2 });
      await flush();
      // The ticket that named the relay, not a new one.
      expect(getTicket).toHaveBeenCalledTimes(1);
      expect(sockets[1]!.sent).toEqual([
        { type: 'subscribe', topics: ['studio/abc'], ticket: 't1', client: 4242 },
      ]);
      sockets[1]!.receive(subscribed(1));
      expect(events).toContain('subscribed:1');
      expect(events.filter((e) => e.startsWith('error:'))).toEqual([]);
    });

    it('asks where the room is when its relay cannot be reached, and goes there', async () => {
      // The relay died: its sockets close before any welcome. The next ticket names the survivor.
      const getTicket = tickets((n) => (n === 1 ? RELAY_A : RELAY_B));
      const { sockets } = setup(getTicket);
      sockets[0]!.open();
      sockets[0]!.receive({ type: 'welcome', version: 2 });
      await flush();
      sockets[0]!.receive(subscribed(2));
      sockets[0]!.drop(1001);
      await vi.advanceTimersByTimeAsync(100);
      expect(sockets[1]!.url).toBe(RELAY_A); // a restart on the same address is the common case
      sockets[1]!.drop(1006); // nothing listens there any more
      expect(getTicket).toHaveBeenCalledTimes(1);
      await vi.advanceTimersByTimeAsync(200);
      expect(getTicket).toHaveBeenCalledTimes(2);
      expect(sockets).toHaveLength(3);
      expect(sockets[2]!.url).toBe(RELAY_B);
      sockets[2]!.open();
      sockets[2]!.receive({ type: 'welcome', version: 2 });
      await flush();
      expect(getTicket).toHaveBeenCalledTimes(2);
      expect(sockets[2]!.sent[0]).toMatchObject({
        type: 'subscribe',
        ticket: 't2',
        resume: { peerId: 'peer-self0001', token: 'resume-token-0123456789' },
      });
    });

    it('retries a wrong-relay refusal with a fresh ticket, which moves it', async () => {
      const getTicket = tickets((n) => (n === 1 ? RELAY_A : RELAY_B));
      const { sockets, events } = setup(getTicket);
      sockets[0]!.open();
      sockets[0]!.receive({ type: 'welcome', version: 2 });
      await flush();
      sockets[0]!.receive({ type: 'error', code: 'wrong-relay', message: 'Another relay.' });
      expect(events).toContain('error:wrong-relay:false');
      await vi.advanceTimersByTimeAsync(100);
      sockets[1]!.open();
      sockets[1]!.receive({ type: 'welcome', version: 2 });
      await flush();
      expect(sockets[1]!.closed).toEqual({ code: 1000, reason: 'relay moved' });
      await vi.advanceTimersByTimeAsync(200);
      expect(sockets[2]!.url).toBe(RELAY_B);
    });

    it('keeps trying while no relay can be placed, and says why', async () => {
      const noRelay = Object.assign(new Error('No audio relay is reachable right now.'), {
        status: 503,
        response: { code: 'no-relay' },
      });
      const getTicket = vi.fn(async () => Promise.reject(noRelay));
      const { sockets, events } = setup(getTicket);
      sockets[0]!.drop(1006);
      await vi.advanceTimersByTimeAsync(100);
      expect(events).toContain('error:no-relay:false');
      expect(sockets).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(200);
      expect(getTicket).toHaveBeenCalledTimes(2);
      expect(events.at(-1)).toBe('state:reconnecting');
    });
  });

  it('unsubscribes and closes once on dispose', async () => {
    const { client, sockets } = setup();
    sockets[0]!.open();
    sockets[0]!.receive({ type: 'welcome', version: 2 });
    await flush();
    sockets[0]!.receive(subscribed(1));
    client.dispose();
    client.dispose();
    expect(sockets[0]!.sent.at(-1)).toEqual({ type: 'unsubscribe', topics: ['studio/abc'] });
    expect(sockets[0]!.closed).toEqual({ code: 1000, reason: 'leaving' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets).toHaveLength(1);
  });
});
