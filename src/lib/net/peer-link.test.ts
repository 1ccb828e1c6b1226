import { describe, expect, it, vi } from 'vitest';
import type { PeerSignal } from '../protocol/mesh-signal';
import { PeerLink } from './peer-link';

const AUDIO_SDP = [
  'v=0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=20;useinbandfec=0',
  '',
].join('\r\n');

/** Just enough of an RTCPeerConnection to drive PeerLink's negotiation. */
class FakePc {
  signalingState: RTCSignalingState = 'stable';
  connectionState: RTCPeerConnectionState = 'new';
  localDescription: RTCSessionDescriptionInit | null = null;
  onicecandidate: unknown = null;
  onnegotiationneeded: (() => void) | null = null;
  onconnectionstatechange: unknown = null;
  ontrack: unknown = null;
  readonly setLocal = vi.fn();
  /** Runs while createOffer is pending (a remote offer landing mid-way). */
  duringCreateOffer: (() => void) | null = null;

  createDataChannel() {
    return { readyState: 'connecting', close() {}, binaryType: 'blob' };
  }
  async createOffer() {
    this.duringCreateOffer?.();
    return { type: 'offer', sdp: AUDIO_SDP };
  }
  async createAnswer() {
    return { type: 'answer', sdp: AUDIO_SDP };
  }
  async setLocalDescription(description: RTCSessionDescriptionInit) {
    this.setLocal(description);
    this.localDescription = description;
    this.signalingState = description.type === 'offer' ? 'have-local-offer' : 'stable';
  }
  async setRemoteDescription(description: RTCSessionDescriptionInit) {
    this.signalingState = description.type === 'offer' ? 'have-remote-offer' : 'stable';
  }
  addTrack() {
    return { track: null, replaceTrack: vi.fn(async () => undefined) };
  }
  removeTrack() {}
  /** What getStats() resolves to (RTCStatsReport is a read-only map of stats entries). */
  stats = new Map<string, Record<string, unknown>>();
  async getStats() {
    return this.stats;
  }
  close() {
    this.signalingState = 'closed';
  }
}

function link(initiator: boolean) {
  const pc = new FakePc();
  const signals: PeerSignal[] = [];
  const onError = vi.fn();
  const peer = new PeerLink({
    remoteId: 'remote',
    initiator,
    iceServers: [],
    sendSignal: (s) => void signals.push(s),
    createPeerConnection: () => pc as unknown as RTCPeerConnection,
    onError,
  });
  return { pc, peer, signals, onError };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('PeerLink negotiation', () => {
  it('sets and sends offers tuned for 10 ms Opus', async () => {
    const { pc, signals } = link(true);
    pc.onnegotiationneeded!();
    await flush();
    const sdp = pc.setLocal.mock.calls[0]![0].sdp as string;
    expect(sdp).toContain('a=fmtp:111 minptime=10;useinbandfec=1');
    expect(sdp).toContain('a=ptime:10');
    expect(signals).toEqual([{ kind: 'description', description: { type: 'offer', sdp } }]);
  });

  it('answers a remote offer with a tuned answer', async () => {
    const { pc, peer, signals } = link(false);
    peer.handleSignal({ kind: 'description', description: { type: 'offer', sdp: AUDIO_SDP } });
    await flush();
    expect(pc.setLocal.mock.calls[0]![0]).toMatchObject({ type: 'answer' });
    expect(pc.setLocal.mock.calls[0]![0].sdp).toContain('a=ptime:10');
    expect(signals[0]).toMatchObject({ kind: 'description', description: { type: 'answer' } });
  });

  it('drops its own offer, quietly, when a remote offer was applied while creating it', async () => {
    const { pc, signals, onError } = link(false);
    pc.duringCreateOffer = () => (pc.signalingState = 'have-remote-offer');
    pc.onnegotiationneeded!();
    await flush();
    expect(pc.setLocal).not.toHaveBeenCalled();
    expect(signals).toEqual([]);
    expect(onError).not.toHaveBeenCalled();
  });

  it('adds the audio track once, then replaces it', () => {
    const { pc, peer } = link(true);
    const addTrack = vi.spyOn(pc, 'addTrack');
    const a = { id: 'a' } as MediaStreamTrack;
    const b = { id: 'b' } as MediaStreamTrack;
    peer.addAudioTrack(a);
    peer.addAudioTrack(b);
    expect(addTrack).toHaveBeenCalledTimes(1);
    const sender = addTrack.mock.results[0]!.value;
    expect(sender.replaceTrack).toHaveBeenCalledWith(b);
  });

  it('reads the audio jitter buffer and the round trip of the nominated pair from getStats', async () => {
    const { pc, peer } = link(true);
    expect(await peer.audioReceiveStats()).toBeNull(); // no audio arrives yet
    pc.stats = new Map([
      ['p2', { type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: 0.012 }],
      ['p1', { type: 'candidate-pair', nominated: false, state: 'succeeded', currentRoundTripTime: 0.5 }],
      [
        'in',
        { type: 'inbound-rtp', kind: 'audio', jitterBufferDelay: 1.5, jitterBufferEmittedCount: 48_000 },
      ],
    ]);
    expect(await peer.audioReceiveStats()).toEqual({
      jitterBufferDelayS: 1.5,
      jitterBufferEmittedCount: 48_000,
      rttMs: 12,
    });
  });
});
