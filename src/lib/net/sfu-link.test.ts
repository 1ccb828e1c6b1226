import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PeerSignal } from '../protocol/mesh-signal';
import { SfuLink } from './sfu-link';

/** Just enough of an RTCPeerConnection to drive SfuLink: the test plays ICE and the relay. */
class FakePc {
  signalingState: RTCSignalingState = 'stable';
  connectionState: RTCPeerConnectionState = 'new';
  localDescription: RTCSessionDescriptionInit | null = null;
  remoteDescription: RTCSessionDescriptionInit | null = null;
  onicecandidate: ((event: { candidate: { toJSON(): RTCIceCandidateInit } | null }) => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;
  readonly channels: Array<{ label: string; init: RTCDataChannelInit; binaryType: string }> = [];
  readonly candidates: RTCIceCandidateInit[] = [];
  closed = false;

  constructor(readonly config: RTCConfiguration) {}

  createDataChannel(label: string, init: RTCDataChannelInit) {
    const channel = { label, init, binaryType: 'blob' };
    this.channels.push(channel);
    return channel;
  }
  async createOffer() {
    return { type: 'offer' as const, sdp: 'v=0 offer' };
  }
  async setLocalDescription(description: RTCSessionDescriptionInit) {
    this.localDescription = description;
    this.signalingState = 'have-local-offer';
  }
  async setRemoteDescription(description: RTCSessionDescriptionInit) {
    this.remoteDescription = description;
    this.signalingState = 'stable';
  }
  async addIceCandidate(candidate: RTCIceCandidateInit) {
    if (!this.remoteDescription) throw new Error('no remote description');
    this.candidates.push(candidate);
  }
  setConnection(state: RTCPeerConnectionState) {
    this.connectionState = state;
    this.onconnectionstatechange?.();
  }
  close() {
    this.closed = true;
    this.signalingState = 'closed';
  }
}

function setup(options: { sendOk?: boolean } = {}) {
  const pcs: FakePc[] = [];
  const signals: PeerSignal[] = [];
  const released: number[] = [];
  const channels: unknown[] = [];
  const states: string[] = [];
  const onError = vi.fn();
  const link = new SfuLink({
    iceServers: () => [{ urls: `turn:127.0.0.1:${pcs.length + 3478}` }],
    sendSignal: (signal) => {
      signals.push(signal);
      return options.sendOk ?? true;
    },
    onChannel: (channel) => {
      // Synchronous handover: the attempt's connection exists and nothing awaited since it was made.
      channels.push(channel);
      const n = channels.length;
      return () => released.push(n);
    },
    createPeerConnection: (config) => {
      const pc = new FakePc(config);
      pcs.push(pc);
      return pc as unknown as RTCPeerConnection;
    },
    connectTimeoutMs: 1000,
    recoveryMs: 300,
    backoff: { min: 100, max: 400 },
    onError,
  });
  link.events.on('state', (s) => states.push(s));
  return { link, pcs, signals, released, channels, states, onError };
}

const flush = () => vi.advanceTimersByTimeAsync(0);
const answer: PeerSignal = { kind: 'description', description: { type: 'answer', sdp: 'v=0 answer' } };
const candidate = (n: number): PeerSignal => ({
  kind: 'candidate',
  candidate: { candidate: `candidate:${n} 1 udp 1 127.0.0.1 ${n} typ host`, sdpMid: '0' },
});

describe('SfuLink', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('creates the pre-negotiated unordered channel, hands it over synchronously, and offers', async () => {
    const { pcs, signals, channels } = setup();
    expect(pcs).toHaveLength(1);
    expect(channels).toHaveLength(1); // before any await: the Worker transfer needs the creating task
    expect(pcs[0]!.channels[0]).toEqual({
      label: 'bandmesh-sfu',
      init: { negotiated: true, id: 0, ordered: false, maxRetransmits: 0 },
      binaryType: 'arraybuffer',
    });
    expect(pcs[0]!.config).toMatchObject({ bundlePolicy: 'max-bundle' });
    await flush();
    expect(signals).toEqual([{ kind: 'description', description: { type: 'offer', sdp: 'v=0 offer' } }]);
    pcs[0]!.onicecandidate!({ candidate: { toJSON: () => ({ candidate: 'c', sdpMid: '0' }) } });
    expect(signals.at(-1)).toEqual({ kind: 'candidate', candidate: { candidate: 'c', sdpMid: '0' } });
  });

  it('applies the answer, then candidates (held back until the answer), and opens when connected', async () => {
    const { link, pcs, states, onError } = setup();
    await flush();
    link.handleSignal(candidate(1)); // before the answer: kept
    link.handleSignal({ kind: 'description', description: { type: 'offer', sdp: 'x' } }); // never ours
    link.handleSignal(answer);
    link.handleSignal(candidate(2));
    link.handleSignal({ kind: 'candidate', candidate: null });
    await flush();
    expect(pcs[0]!.remoteDescription).toEqual({ type: 'answer', sdp: 'v=0 answer' });
    expect(pcs[0]!.candidates.map((c) => c.candidate)).toEqual([
      'candidate:1 1 udp 1 127.0.0.1 1 typ host',
      'candidate:2 1 udp 1 127.0.0.1 2 typ host',
    ]);
    pcs[0]!.setConnection('connected');
    expect(link.state).toBe('open');
    expect(states).toEqual(['open']);
    await vi.advanceTimersByTimeAsync(5000); // connected: the connect timeout no longer applies
    expect(pcs).toHaveLength(1);
    expect(onError).not.toHaveBeenCalled();
  });

  it('retries with growing backoff when an attempt times out or fails, releasing each channel once', async () => {
    const { link, pcs, released, states } = setup();
    await vi.advanceTimersByTimeAsync(1000); // no answer: timed out
    expect(pcs[0]!.closed).toBe(true);
    expect(released).toEqual([1]);
    expect(link.state).toBe('retrying');
    await vi.advanceTimersByTimeAsync(99);
    expect(pcs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(pcs).toHaveLength(2);
    expect(pcs[1]!.config.iceServers).toEqual([{ urls: 'turn:127.0.0.1:3479' }]); // read anew
    await flush();
    pcs[1]!.setConnection('failed');
    expect(released).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(199);
    expect(pcs).toHaveLength(2); // the second delay doubled
    await vi.advanceTimersByTimeAsync(1);
    expect(pcs).toHaveLength(3);
    await flush();
    link.handleSignal(answer);
    await flush();
    pcs[2]!.setConnection('connected');
    expect(states).toEqual(['retrying', 'connecting', 'retrying', 'connecting', 'open']);
  });

  it('waits for a disconnected connection to recover before retrying', async () => {
    const { pcs } = setup();
    await flush();
    pcs[0]!.setConnection('connected');
    pcs[0]!.setConnection('disconnected');
    await vi.advanceTimersByTimeAsync(200);
    pcs[0]!.setConnection('connected'); // recovered
    await vi.advanceTimersByTimeAsync(1000);
    expect(pcs).toHaveLength(1);
    pcs[0]!.setConnection('disconnected');
    await vi.advanceTimersByTimeAsync(300);
    expect(pcs[0]!.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(pcs).toHaveLength(2);
  });

  it('restart() replaces the connection at once; late events of the old one change nothing', async () => {
    const { link, pcs, released } = setup();
    await flush();
    link.handleSignal(answer);
    await flush();
    pcs[0]!.setConnection('connected');
    link.restart();
    expect(pcs[0]!.closed).toBe(true);
    expect(released).toEqual([1]);
    expect(pcs).toHaveLength(2);
    expect(link.state).toBe('connecting');
    pcs[0]!.setConnection('failed'); // the old connection's late events change nothing
    expect(pcs).toHaveLength(2);
    await flush();
    expect(pcs[1]!.signalingState).toBe('have-local-offer');
  });

  it('retry() gives up an attempt that has not opened, with backoff, and keeps an open one', async () => {
    const { link, pcs, released } = setup();
    await flush();
    link.retry(); // the relay said our connection failed before it opened
    expect(pcs[0]!.closed).toBe(true);
    expect(released).toEqual([1]);
    expect(link.state).toBe('retrying');
    link.retry(); // between attempts: nothing to give up
    await vi.advanceTimersByTimeAsync(100);
    expect(pcs).toHaveLength(2);
    await flush();
    link.handleSignal(answer);
    await flush();
    pcs[1]!.setConnection('connected');
    link.retry(); // about an earlier connection: the open one stays
    expect(pcs[1]!.closed).toBe(false);
    expect(link.state).toBe('open');
  });

  it('dispose() closes once, releases the channel once, and stops retrying', async () => {
    const { link, pcs, released, states } = setup();
    await vi.advanceTimersByTimeAsync(1000); // timed out, a retry is scheduled
    link.dispose();
    link.dispose();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(pcs).toHaveLength(1);
    expect(released).toEqual([1]);
    expect(states.at(-1)).toBe('closed');
    link.handleSignal(answer); // after dispose: ignored
    link.restart();
    expect(pcs).toHaveLength(1);
  });

  it('retries when the connection cannot even be created', async () => {
    let fail = true;
    const onError = vi.fn();
    const made: number[] = [];
    const link = new SfuLink({
      iceServers: () => [],
      sendSignal: () => true,
      onChannel: () => () => undefined,
      createPeerConnection: (config) => {
        if (fail) throw new Error('too many connections');
        made.push(1);
        return new FakePc(config) as unknown as RTCPeerConnection;
      },
      backoff: { min: 100, max: 400 },
      onError,
    });
    expect(onError).toHaveBeenCalledOnce();
    expect(link.state).toBe('retrying');
    fail = false;
    await vi.advanceTimersByTimeAsync(100);
    expect(made).toHaveLength(1);
    link.dispose();
  });
});
