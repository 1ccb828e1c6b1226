/**
 * The Worker's sources and transports with the real libopus: one source fed by two transports at once
 * (a direct channel and a delayed, reordering second path) decodes each frame once; removing one
 * transport keeps the source playing; frames nobody can place are counted and dropped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readAudioFrame } from '../../protocol/audio-frame';
import {
  PACKET_RINGS_BYTES,
  SAMPLE_RING_BYTES,
  SAMPLE_RING_CAPACITY,
  SampleRing,
} from '../../protocol/audio-layout';
import { AUDIO_WORKER_VERSION, type FromAudioWorker, type SendSettings } from '../../protocol/audio-worker';
import { AudioNet } from './audio-net';
import { encodeSineFrames } from './opus-frames.sim';

const N = 120;
const settings: SendSettings = { codec: 'opus', frameSamples: N, channels: 1, bitrate: 96_000, fec: true };

const encodeFrames = (count: number, start: number) =>
  encodeSineFrames({ count, frameSamples: N, fec: settings.fec, start });

/** A data channel stand-in: the Worker sets `onmessage`; `deliver` plays the remote side. */
function fakeChannel() {
  const channel = {
    binaryType: 'blob',
    readyState: 'open',
    bufferedAmount: 0,
    onmessage: null as ((event: { data: unknown }) => void) | null,
    sent: 0,
    send(_bytes?: Uint8Array) {
      channel.sent++;
    },
    close() {
      channel.readyState = 'closed';
    },
    deliver(bytes: Uint8Array) {
      channel.onmessage?.({ data: bytes.slice().buffer });
    },
  };
  return channel;
}
const asChannel = (c: ReturnType<typeof fakeChannel>) => c as unknown as RTCDataChannel;
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

let net: AudioNet | null = null;
afterEach(() => net?.dispose());

async function setup() {
  const posted: FromAudioWorker[] = [];
  net = new AudioNet((message) => posted.push(message));
  net.handle({
    type: 'init',
    version: AUDIO_WORKER_VERSION,
    captureMemory: new ArrayBuffer(SAMPLE_RING_BYTES),
    packetMemory: new ArrayBuffer(PACKET_RINGS_BYTES),
    shared: false,
    settings,
  });
  while (!posted.some((m) => m.type === 'ready')) await tick();
  const decoded = (slot: number) =>
    posted.flatMap((m) => (m.type === 'packet' && m.slot === slot ? [m.seq] : []));
  return { net, posted, decoded };
}

/** Loads the source's decoder with a frame of another stream (the first Opus frame is skipped). */
async function warm(channel: ReturnType<typeof fakeChannel>) {
  channel.deliver((await encodeFrames(1, 5_000_000))[0]!);
  await tick();
}

describe('AudioNet: sources and transports', () => {
  it('decodes each frame once when two transports carry the same frames, one delayed and reordered', async () => {
    const { net, decoded } = await setup();
    const frames = await encodeFrames(30, 0);
    net.handle({ type: 'add-source', sourceKey: 'bo', slot: 2 });
    const direct = fakeChannel();
    const second = fakeChannel();
    net.handle({ type: 'add-transport', transportId: 'direct', sourceKey: 'bo', channel: asChannel(direct) });
    net.handle({ type: 'add-transport', transportId: 'second', sourceKey: 'bo', channel: asChannel(second) });
    await warm(direct);
    // The second path runs 3 frames behind and swaps each pair of frames.
    const late = [1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14, 17, 16, 19, 18];
    for (let i = 0; i < 20; i++) {
      direct.deliver(frames[i]!);
      if (i >= 3) second.deliver(frames[late[i - 3]!]!);
    }
    for (const i of late.slice(17)) second.deliver(frames[i]!);
    expect(decoded(2)).toEqual([...Array(20).keys()]);
    const [stats] = net.stats().sources;
    expect(stats).toMatchObject({
      sourceKey: 'bo',
      transports: 2,
      framesDecoded: 20,
      duplicateFrames: 20,
      lateFrames: 0,
      concealedFrames: 0,
      frameSamples: N,
    });

    // The direct channel goes: the second path alone keeps the source playing.
    net.handle({ type: 'remove-transport', transportId: 'direct' });
    expect(direct.readyState).toBe('closed');
    for (let i = 20; i < 30; i++) second.deliver(frames[i]!);
    expect(decoded(2)).toEqual([...Array(30).keys()]);
    expect(net.stats().sources[0]).toMatchObject({ transports: 1, framesDecoded: 30 });
  });

  it('counts and drops a frame from an unknown transport, or for a source not (yet) there', async () => {
    const { net, decoded } = await setup();
    const [frame] = await encodeFrames(1, 0);
    net.handle({ type: 'frame', transportId: 'ghost', bytes: frame!.slice().buffer });
    const early = fakeChannel();
    net.handle({ type: 'add-transport', transportId: 'early', sourceKey: 'cy', channel: asChannel(early) });
    early.deliver(frame!);
    expect(net.stats().unknownFrames).toBe(2);
    expect(decoded(0)).toEqual([]);
    // The source arrives after its transport: frames flow from then on.
    net.handle({ type: 'add-source', sourceKey: 'cy', slot: 0 });
    await warm(early);
    const frames = await encodeFrames(3, 0);
    for (const f of frames) early.deliver(f);
    expect(decoded(0)).toEqual([0, 1, 2]);
    expect(net.stats().unknownFrames).toBe(2);
  });

  it('sends our frames only on transports of sources that take the data path', async () => {
    const { net } = await setup();
    const a = fakeChannel();
    const orphan = fakeChannel();
    net.handle({ type: 'add-source', sourceKey: 'a', slot: 0 });
    net.handle({ type: 'add-transport', transportId: 'ta', sourceKey: 'a', channel: asChannel(a) });
    net.handle({ type: 'add-transport', transportId: 'to', sourceKey: 'nobody', channel: asChannel(orphan) });
    const samples = new Float32Array(N);
    const capture = (senderTime: number) =>
      net.handle({
        type: 'capture-frame',
        senderTime,
        frameSamples: N,
        channels: 1,
        samples: samples.slice(),
      });
    capture(0);
    expect([a.sent, orphan.sent]).toEqual([1, 0]);
    net.handle({ type: 'source-path', sourceKey: 'a', path: 'track' });
    capture(N);
    expect(a.sent).toBe(1);
  });

  it('keeps the capture timeline when the capture ring overflowed: later frames carry the lost time', async () => {
    const posted: FromAudioWorker[] = [];
    net = new AudioNet((message) => posted.push(message));
    const captureMemory = new SharedArrayBuffer(SAMPLE_RING_BYTES);
    net.handle({
      type: 'init',
      version: AUDIO_WORKER_VERSION,
      captureMemory,
      packetMemory: new SharedArrayBuffer(PACKET_RINGS_BYTES),
      shared: true,
      settings: { ...settings, codec: 'pcm' },
    });
    while (!posted.some((m) => m.type === 'ready')) await tick();
    const sent: number[] = [];
    const channel = fakeChannel();
    channel.send = (bytes?: Uint8Array) => {
      const frame = readAudioFrame(bytes!);
      if (frame.ok) sent.push(frame.header.senderTime);
    };
    net.handle({ type: 'add-source', sourceKey: 'a', slot: 0 });
    net.handle({ type: 'add-transport', transportId: 'ta', sourceKey: 'a', channel: asChannel(channel) });

    // The capture worklet's side: the Worker stalls while the ring fills, and 5 frames do not fit.
    const ring = new SampleRing(captureMemory);
    ring.setShape(1, N);
    const frame = new Float32Array(N);
    const fit = Math.floor(SAMPLE_RING_CAPACITY / N);
    for (let f = 0; f < fit + 5; f++) ring.writeFrame(frame, N);
    while (sent.length < fit) await tick();
    for (let f = 0; f < 3; f++) ring.writeFrame(frame, N);
    while (sent.length < fit + 3) await tick();

    // Frames in the ring keep their places; the ones after the loss start where the lost ones ended.
    expect(sent.slice(0, fit)).toEqual(Array.from({ length: fit }, (_, f) => f * N));
    expect(sent.slice(fit)).toEqual([0, 1, 2].map((f) => (fit + 5 + f) * N));
  });
});
