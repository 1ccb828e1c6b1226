/** SfuPeer with real node-datachannel connections on loopback. */
import { PeerConnection } from 'node-datachannel';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerSignal } from '../../../src/lib/protocol/mesh-signal.js';
import { SFU_CHANNEL } from '../../../src/lib/protocol/sfu.js';
import { SfuPeer, type SfuCloseReason } from './sfu-peer.js';

const NETWORK = { host: '127.0.0.1', portMin: 0, portMax: 0 };
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function relayPeer(openTimeoutMs?: number) {
  const signals: PeerSignal[] = [];
  const messages: (Buffer | string)[] = [];
  const closed: SfuCloseReason[] = [];
  let opened = 0;
  const peer = new SfuPeer(
    'test',
    NETWORK,
    {
      signal: (s) => signals.push(s),
      open: () => opened++,
      message: (m) => messages.push(m),
      closed: (r) => closed.push(r),
    },
    openTimeoutMs,
  );
  cleanups.push(() => peer.dispose());
  return { peer, signals, messages, closed, opened: () => opened };
}

const until = async (condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('SfuPeer', () => {
  it('answers an offer, trickles bare candidates on its address, and opens the negotiated channel', async () => {
    const relay = relayPeer();
    const player = new PeerConnection('player', { iceServers: [] });
    cleanups.push(() => player.close());
    player.onLocalDescription((sdp, type) =>
      relay.peer.handle({ kind: 'description', description: { type: type as 'offer', sdp } }),
    );
    player.onLocalCandidate((candidate, mid) =>
      relay.peer.handle({
        kind: 'candidate',
        candidate: { candidate: candidate.replace(/^a=/, ''), sdpMid: mid },
      }),
    );
    const channel = player.createDataChannel(SFU_CHANNEL.label, {
      negotiated: true,
      id: SFU_CHANNEL.id,
      unordered: true,
      maxRetransmits: 0,
    });
    const received: Buffer[] = [];
    channel.onMessage((m) => received.push(m as Buffer));
    await until(() => relay.signals.some((s) => s.kind === 'description'), 'the answer');
    const answer = relay.signals.find((s) => s.kind === 'description')!;
    expect(answer).toMatchObject({ kind: 'description', description: { type: 'answer' } });
    if (answer.kind === 'description') player.setRemoteDescription(answer.description.sdp!, 'answer');
    await until(() => relay.signals.some((s) => s.kind === 'candidate'), 'a candidate');
    for (const s of relay.signals) {
      if (s.kind !== 'candidate' || !s.candidate) continue;
      expect(s.candidate.candidate).toMatch(/^candidate:.* 127\.0\.0\.1 \d+ typ host/);
      player.addRemoteCandidate(s.candidate.candidate!, s.candidate.sdpMid ?? '0');
    }
    await until(() => relay.peer.isOpen && channel.isOpen(), 'both ends open');
    expect(relay.opened()).toBe(1);
    channel.sendMessageBinary(new Uint8Array([3, 1, 2]));
    await until(() => relay.messages.length === 1, 'the upstream message');
    relay.peer.send(new Uint8Array([0x91, 0]));
    await until(() => received.length === 1, 'the downstream message');
    expect([...received[0]!]).toEqual([0x91, 0]);

    relay.peer.dispose();
    relay.peer.dispose();
    expect(relay.closed).toEqual(['disposed']);
    expect(relay.peer.bufferedAmount()).toBe(0);
  });

  it('gives up when the channel does not open in time', async () => {
    const relay = relayPeer(100);
    await until(() => relay.closed.length > 0, 'the open timeout');
    expect(relay.closed).toEqual(['open-timeout']);
    expect(relay.peer.handle({ kind: 'candidate', candidate: null })).toBe(false);
  });

  it('closes on an offer it cannot parse, and ignores answers and bad candidates', () => {
    const relay = relayPeer();
    expect(relay.peer.handle({ kind: 'description', description: { type: 'answer', sdp: 'v=0' } })).toBe(
      false,
    );
    expect(relay.peer.handle({ kind: 'candidate', candidate: { candidate: 'garbage', sdpMid: '0' } })).toBe(
      true,
    );
    expect(relay.closed).toEqual([]);
    expect(relay.peer.handle({ kind: 'description', description: { type: 'offer', sdp: 'not sdp' } })).toBe(
      false,
    );
    expect(relay.closed).toEqual(['bad-offer']);
  });
});
