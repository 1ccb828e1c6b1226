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
  transceivers: Array<{ currentDirection: RTCRtpTransceiverDirection | null; receiver: unknown }> = [];
  getTransceivers() {
    return this.transceivers;
  }
  /** What getStats() resolves to (RTCStatsReport is a read-only map of stats entries). */
  stats = new Map<string, Record<string, unknown>>();
  async getStats() {
    return this.stats;
  }
  close() {
    this.signalingState = 'closed';
  }
}

/**
 * Chromium's audio negotiation as far as remote tracks go: a remote offer with audio makes a
 * transceiver and fires `track` once it is applied — unless addTrack landed while it was being applied
 * (addTrack then reuses that transceiver and Chromium never fires the event; seen in Chromium 156).
 */
class ChromiumAudioPc extends FakePc {
  readonly remoteTrack = { kind: 'audio', id: 'their-mic' } as MediaStreamTrack;
  readonly receiver = { track: this.remoteTrack, jitterBufferTarget: null as number | null };
  /** Runs while a remote description is being applied. */
  duringSetRemote: (() => void) | null = null;
  #applying = false;
  #trackAddedWhileApplying = false;
  #sending = false;

  override async setRemoteDescription(description: RTCSessionDescriptionInit) {
    this.#applying = true;
    this.duringSetRemote?.();
    await new Promise((resolve) => setTimeout(resolve, 0)); // the browser's own work
    this.#applying = false;
    await super.setRemoteDescription(description);
    if (description.type !== 'offer' || this.transceivers.length > 0) return;
    this.transceivers.push({ currentDirection: null, receiver: this.receiver });
    if (!this.#trackAddedWhileApplying)
      (this.ontrack as (e: unknown) => void)({ track: this.remoteTrack, receiver: this.receiver });
  }
  override async setLocalDescription(description: RTCSessionDescriptionInit) {
    await super.setLocalDescription(description);
    if (description.type !== 'answer') return;
    for (const t of this.transceivers) t.currentDirection = this.#sending ? 'sendrecv' : 'recvonly';
  }
  override addTrack() {
    this.#trackAddedWhileApplying ||= this.#applying;
    this.#sending = true;
    return super.addTrack();
  }
}

function link(initiator: boolean, pc = new FakePc()) {
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

  it('hands out the remote audio track once, with the smallest jitter buffer', async () => {
    const pc = new ChromiumAudioPc();
    const { peer, signals } = link(false, pc);
    const tracks: MediaStreamTrack[] = [];
    peer.events.on('track', (track) => void tracks.push(track));
    peer.handleSignal({ kind: 'description', description: { type: 'offer', sdp: AUDIO_SDP } });
    await vi.waitFor(() => expect(signals).toHaveLength(1)); // answered
    await flush();
    expect(tracks).toEqual([pc.remoteTrack]); // from the track event, not again from the transceivers
    expect(pc.receiver.jitterBufferTarget).toBe(0);
  });

  it('still hands out the remote track when addTrack lands while their offer is being applied (no track event)', async () => {
    const pc = new ChromiumAudioPc();
    const { peer, signals } = link(false, pc);
    const tracks: MediaStreamTrack[] = [];
    peer.events.on('track', (track) => void tracks.push(track));
    // Both players add their microphone on hearing each other: ours lands mid-way through theirs.
    pc.duringSetRemote = () => peer.addAudioTrack({ id: 'my-mic' } as MediaStreamTrack);
    peer.handleSignal({ kind: 'description', description: { type: 'offer', sdp: AUDIO_SDP } });
    await vi.waitFor(() => expect(signals).toHaveLength(1));
    await flush();
    expect(signals[0]).toMatchObject({ description: { type: 'answer' } });
    expect(tracks).toEqual([pc.remoteTrack]);
    expect(pc.receiver.jitterBufferTarget).toBe(0);
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

describe('PeerLink ICE route', () => {
  /** A getStats() report with one transport, candidate pairs and candidates, keyed by id as browsers do. */
  function report(...entries: Array<Record<string, unknown>>) {
    return new Map(entries.map((entry) => [entry.id as string, entry]));
  }
  const candidate = (id: string, type: string, candidateType: string) => ({
    id,
    type,
    candidateType,
    address: candidateType === 'relay' ? '10.201.0.1' : '10.201.0.2',
  });
  const pair = (id: string, local: string, remote: string, extra: Record<string, unknown> = {}) => ({
    id,
    type: 'candidate-pair',
    localCandidateId: local,
    remoteCandidateId: remote,
    state: 'succeeded',
    nominated: true,
    ...extra,
  });

  it('is null before any candidate pair succeeded', async () => {
    const { pc, peer } = link(true);
    pc.stats = report(
      { id: 'T1', type: 'transport' },
      candidate('L1', 'local-candidate', 'host'),
      candidate('R1', 'remote-candidate', 'host'),
      pair('P1', 'L1', 'R1', { state: 'in-progress', nominated: false }),
    );
    expect(await peer.iceRoute()).toBeNull();
  });

  it('is direct when both ends of the selected pair are host or server-reflexive', async () => {
    const { pc, peer } = link(true);
    pc.stats = report(
      { id: 'T1', type: 'transport', selectedCandidatePairId: 'P1' },
      candidate('L1', 'local-candidate', 'host'),
      candidate('R1', 'remote-candidate', 'srflx'),
      pair('P1', 'L1', 'R1'),
    );
    expect(await peer.iceRoute()).toBe('direct');
  });

  it('is turn when the local or the remote end is a relay candidate', async () => {
    for (const [localType, remoteType] of [
      ['relay', 'host'],
      ['host', 'relay'],
      ['relay', 'relay'],
    ]) {
      const { pc, peer } = link(false);
      pc.stats = report(
        { id: 'T1', type: 'transport', selectedCandidatePairId: 'P1' },
        candidate('L1', 'local-candidate', localType!),
        candidate('R1', 'remote-candidate', remoteType!),
        pair('P1', 'L1', 'R1'),
      );
      expect(await peer.iceRoute()).toBe('turn');
    }
  });

  it("follows the transport's selected pair, not another succeeded pair", async () => {
    const { pc, peer } = link(true);
    pc.stats = report(
      candidate('L1', 'local-candidate', 'host'),
      candidate('L2', 'local-candidate', 'relay'),
      candidate('R1', 'remote-candidate', 'host'),
      pair('P1', 'L1', 'R1'),
      pair('P2', 'L2', 'R1', { nominated: false }),
      { id: 'T1', type: 'transport', selectedCandidatePairId: 'P2' },
    );
    expect(await peer.iceRoute()).toBe('turn');
  });

  it('falls back to the nominated succeeded pair without selectedCandidatePairId', async () => {
    const { pc, peer } = link(true);
    pc.stats = report(
      candidate('L1', 'local-candidate', 'host'),
      candidate('L2', 'local-candidate', 'relay'),
      candidate('R1', 'remote-candidate', 'host'),
      pair('P1', 'L1', 'R1', { nominated: false }),
      pair('P2', 'L2', 'R1'),
    );
    expect(await peer.iceRoute()).toBe('turn');
  });

  it('is null once the link is closed', async () => {
    const { pc, peer } = link(true);
    pc.stats = report(
      { id: 'T1', type: 'transport', selectedCandidatePairId: 'P1' },
      candidate('L1', 'local-candidate', 'relay'),
      candidate('R1', 'remote-candidate', 'host'),
      pair('P1', 'L1', 'R1'),
    );
    peer.close();
    expect(await peer.iceRoute()).toBeNull();
  });
});
