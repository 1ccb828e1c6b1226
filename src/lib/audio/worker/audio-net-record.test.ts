/**
 * Recording in the audio network Worker, with two real AudioNets joined by an in-memory channel: the
 * sender's clock pongs carry its capture anchor (mapped onto the senderTimes its frames carry), the
 * receiver estimates the offset and forwards each decoded frame to the record port stamped with its
 * capture time; a source with no clock (no answering link) is stamped null; `record: null` flushes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readAudioFrame } from '../../protocol/audio-frame';
import { PACKET_RINGS_BYTES, SAMPLE_RING_BYTES, SampleRing } from '../../protocol/audio-layout';
import { AUDIO_WORKER_VERSION, type FromAudioWorker, type SendSettings } from '../../protocol/audio-worker';
import { LinkPingKind, readClockPong, writeLinkPing } from '../../protocol/link-ping';
import type { FromNet } from '../../protocol/recording';
import { AudioNet } from './audio-net';

const N = 120;
const settings: SendSettings = { codec: 'pcm', frameSamples: N, channels: 1, bitrate: 96_000, fec: false };
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const epochNow = () => performance.timeOrigin + performance.now();

/** One end of a channel: what it sends goes to `far` (set later), delivered at once. */
function end() {
  const channel = {
    binaryType: 'blob',
    readyState: 'open',
    bufferedAmount: 0,
    onmessage: null as ((event: { data: unknown }) => void) | null,
    far: null as { onmessage: ((event: { data: unknown }) => void) | null } | null,
    sent: [] as Uint8Array[],
    send(bytes: Uint8Array) {
      channel.sent.push(bytes.slice());
      channel.far?.onmessage?.({ data: bytes.slice().buffer });
    },
    close() {
      channel.readyState = 'closed';
    },
  };
  return channel;
}
const asChannel = (c: ReturnType<typeof end>) => c as unknown as RTCDataChannel;

/** The recorder's end of the net port. */
function recordPort() {
  const messages: FromNet[] = [];
  const port = {
    closed: false,
    postMessage: (message: FromNet) => void messages.push(message),
    close: () => void (port.closed = true),
  };
  return { port, chunks: () => messages.flatMap((m) => m.chunks) };
}

const nets: AudioNet[] = [];
afterEach(() => {
  for (const net of nets.splice(0)) net.dispose();
});

async function start(shared = false) {
  const posted: FromAudioWorker[] = [];
  const net = new AudioNet((message) => posted.push(message));
  nets.push(net);
  const captureMemory = shared
    ? new SharedArrayBuffer(SAMPLE_RING_BYTES)
    : new ArrayBuffer(SAMPLE_RING_BYTES);
  const init = () =>
    net.handle({
      type: 'init',
      version: AUDIO_WORKER_VERSION,
      captureMemory,
      packetMemory: shared ? new SharedArrayBuffer(PACKET_RINGS_BYTES) : new ArrayBuffer(PACKET_RINGS_BYTES),
      shared,
      settings,
    });
  init();
  while (!posted.some((m) => m.type === 'ready')) await tick();
  return { net, posted, captureMemory };
}

/** Pings `net` on `channel` (as a peer would) and reads the anchor its clock pong carries. */
function anchorOf(channel: ReturnType<typeof end>) {
  channel.sent.length = 0;
  channel.onmessage?.({ data: writeLinkPing(LinkPingKind.Ping, 1, epochNow()).buffer });
  const pong = channel.sent.map(readClockPong).find((p) => p !== null);
  return pong?.anchor ?? null;
}

describe('AudioNet: recording', () => {
  it('forwards a source’s decoded frames stamped with their capture time through the sender’s anchor', async () => {
    const alice = await start();
    const bob = await start();
    const ab = end();
    const ba = end();
    ab.far = ba;
    ba.far = ab;
    alice.net.handle({ type: 'add-source', sourceKey: 'bob', slot: 0 });
    alice.net.handle({ type: 'add-transport', transportId: 't1', sourceKey: 'bob', channel: asChannel(ab) });
    bob.net.handle({ type: 'add-source', sourceKey: 'alice', slot: 3 });
    bob.net.handle({ type: 'add-transport', transportId: 't1', sourceKey: 'alice', channel: asChannel(ba) });
    // A third source that never answers pings (as through the SFU): no clock, so no capture time.
    const mute = end();
    bob.net.handle({ type: 'add-source', sourceKey: 'carol', slot: 4 });
    bob.net.handle({
      type: 'add-transport',
      transportId: 't2',
      sourceKey: 'carol',
      channel: asChannel(mute),
    });

    // Alice's capture sample 0 was captured at E0 (her clock, which here is ours too).
    const e0 = epochNow() - 1000;
    alice.net.handle({ type: 'capture-anchor', anchor: { senderTime: 4800, epochMs: e0 + 100 } });
    // Bob pings every 500 ms; wait for a clock pong.
    while (!ba.sent.some((b) => b[0] === LinkPingKind.Ping)) await new Promise((r) => setTimeout(r, 50));

    const rec = recordPort();
    bob.net.handle({ type: 'record', port: rec.port as unknown as MessagePort });
    const samples = Float32Array.from({ length: N }, (_, i) => i / N - 0.5);
    for (let f = 0; f < 10; f++)
      alice.net.handle({
        type: 'capture-frame',
        senderTime: 9600 + f * N,
        frameSamples: N,
        channels: 1,
        samples: samples.slice(),
      });
    const carol = ab.sent.filter((b) => readAudioFrame(b).ok).slice(0, 3);
    for (const frame of carol) mute.onmessage?.({ data: frame.slice().buffer });
    bob.net.handle({ type: 'record', port: null });
    expect(rec.port.closed).toBe(true);

    const chunks = rec.chunks();
    const fromAlice = chunks.filter((c) => c.sourceKey === 'alice');
    expect(fromAlice).toHaveLength(1);
    const [chunk] = fromAlice;
    expect(chunk).toMatchObject({ frames: 10 * N, channels: 1, concealed: false });
    // Frame 9600 is 4800 samples (100 ms) after the anchor: captured at E0 + 200, within the estimate's error.
    expect(chunk!.uncertaintyMs).not.toBeNull();
    expect(Math.abs(chunk!.captureEpochMs! - (e0 + 200))).toBeLessThanOrEqual(chunk!.uncertaintyMs! + 1e-6);
    expect(chunk!.arrivalEpochMs).toBeGreaterThan(e0);
    expect(chunk!.samples[N + 30]).toBeCloseTo(samples[30]!, 3);
    const fromCarol = chunks.filter((c) => c.sourceKey === 'carol');
    expect(fromCarol.map((c) => [c.frames, c.captureEpochMs, c.uncertaintyMs])).toEqual([
      [3 * N, null, null],
    ]);

    // Not recording: nothing more goes anywhere.
    alice.net.handle({
      type: 'capture-frame',
      senderTime: 9600 + 10 * N,
      frameSamples: N,
      channels: 1,
      samples,
    });
    expect(rec.chunks()).toHaveLength(chunks.length);
  });

  it('maps capture anchors onto the senderTimes frames go out with, across an audio restart', async () => {
    const { net, captureMemory } = await start(true);
    const peer = end();
    net.handle({ type: 'add-source', sourceKey: 'p', slot: 0 });
    net.handle({ type: 'add-transport', transportId: 't', sourceKey: 'p', channel: asChannel(peer) });
    expect(anchorOf(peer)).toBeNull();
    net.handle({ type: 'capture-anchor', anchor: { senderTime: 240, epochMs: 77 } });
    expect(anchorOf(peer)).toEqual({ senderTime: 240, epochMs: 77 });

    // Audio runs a while: 10 frames leave, senderTime 0…1080.
    const ring = new SampleRing(captureMemory);
    ring.setShape(1, N);
    for (let f = 0; f < 10; f++) ring.writeFrame(new Float32Array(N), N);
    const frames = () => peer.sent.filter((b) => readAudioFrame(b).ok);
    while (frames().length < 10) await tick();

    // Audio restarts with a new capture ring: its framer counts from 0 again, the wire goes on from 1200.
    net.handle({
      type: 'init',
      version: AUDIO_WORKER_VERSION,
      captureMemory: new SharedArrayBuffer(SAMPLE_RING_BYTES),
      packetMemory: new SharedArrayBuffer(PACKET_RINGS_BYTES),
      shared: true,
      settings,
    });
    expect(anchorOf(peer)).toBeNull(); // the old anchor belongs to the old timeline
    net.handle({ type: 'capture-anchor', anchor: { senderTime: 480, epochMs: 99 } });
    expect(anchorOf(peer)).toEqual({ senderTime: 10 * N + 480, epochMs: 99 });
  });
});
