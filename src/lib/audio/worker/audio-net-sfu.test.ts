/**
 * The Worker's SFU transport with the real libopus and the real frame cipher: players (AudioNet
 * instances) joined through an in-memory relay that bundles exactly as the relay does (BundleWriter).
 * Frames arrive sealed and decode; a source on mesh and SFU at once is decoded once per frame; a path
 * switch back and forth loses no frame; tampered, misaddressed and unopenable frames are dropped and
 * counted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PACKET_RINGS_BYTES, PacketFlag, PacketRing, SAMPLE_RING_BYTES } from '../../protocol/audio-layout';
import { AUDIO_WORKER_VERSION, type FromAudioWorker, type SendSettings } from '../../protocol/audio-worker';
import { type FrameKey, SEALED_PREFIX_BYTES } from '../../protocol/sealed-frame';
import { BundleWriter, FRAME_SEQ_OFFSET, SFU_BUNDLE_KIND } from '../../protocol/sfu';
import { AudioNet } from './audio-net';
import { FakeSfuRelay, fakeChannel, type FakeChannel } from './sfu-relay.sim';

const N = 120;
const opus: SendSettings = { codec: 'opus', frameSamples: N, channels: 1, bitrate: 96_000, fec: true };

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const asChannel = (c: FakeChannel) => c as unknown as RTCDataChannel;

function frameKey(keyId: number, seed: number): FrameKey {
  return {
    keyId,
    key: Uint8Array.from({ length: 32 }, (_, i) => (seed * 31 + i * 7) & 0xff),
    salt: Uint8Array.from({ length: 4 }, (_, i) => (seed * 13 + i) & 0xff),
  };
}

const nets: AudioNet[] = [];
afterEach(() => {
  for (const net of nets.splice(0)) net.dispose();
});

type Player = Awaited<ReturnType<typeof player>>;

/** One player's Worker, initialised, with its SFU channel from `relay` and a send key. */
async function player(
  peerId: string,
  relay: FakeSfuRelay,
  { seed, shared = false, settings = opus }: { seed: number; shared?: boolean; settings?: SendSettings },
) {
  const posted: FromAudioWorker[] = [];
  const net = new AudioNet((message) => posted.push(message));
  nets.push(net);
  const packetMemory = shared
    ? new SharedArrayBuffer(PACKET_RINGS_BYTES)
    : new ArrayBuffer(PACKET_RINGS_BYTES);
  net.handle({
    type: 'init',
    version: AUDIO_WORKER_VERSION,
    captureMemory: shared ? new SharedArrayBuffer(SAMPLE_RING_BYTES) : new ArrayBuffer(SAMPLE_RING_BYTES),
    packetMemory,
    shared,
    settings,
  });
  while (!posted.some((m) => m.type === 'ready')) await tick();
  const sfu = relay.join(peerId);
  net.handle({ type: 'add-sfu', transportId: 'sfu', channel: asChannel(sfu) });
  const key = frameKey(1, seed);
  net.handle({ type: 'sfu-send-key', key });
  let senderTime = 0;
  return {
    peerId,
    net,
    posted,
    sfu,
    key,
    /** Our next captured frame (a sine), encoded and sent on every transport. */
    capture(frameSamples = settings.frameSamples, channels = settings.channels) {
      const samples = new Float32Array(frameSamples * channels);
      for (let i = 0; i < samples.length; i++) {
        samples[i] = 0.5 * Math.sin((2 * Math.PI * 440 * (senderTime + Math.floor(i / channels))) / 48_000);
      }
      net.handle({ type: 'capture-frame', senderTime, frameSamples, channels, samples });
      senderTime += frameSamples;
    },
    /** Seqs delivered to `slot` as packet messages (no shared memory). */
    decoded(slot: number): number[] {
      return posted.flatMap((m) => (m.type === 'packet' && m.slot === slot ? [m.seq] : []));
    },
    /** Drains `slot`'s packet ring (shared memory): seq and flags of each packet, in order. */
    ring: shared ? PacketRing.forPeer(packetMemory, 0) : null,
    errors: () => posted.flatMap((m) => (m.type === 'error' ? [m.code] : [])),
    source: (sourceKey: string) => net.stats().sources.find((s) => s.sourceKey === sourceKey)!,
  };
}

/** Every player hears every other through the SFU: sources, the relay's mapping, keys, sending on. */
function joinRoom(relay: FakeSfuRelay, players: Player[]) {
  for (const p of players) {
    const others = players.filter((o) => o !== p);
    others.forEach((o, slot) => p.net.handle({ type: 'add-source', sourceKey: o.peerId, slot }));
    p.net.handle({ type: 'sfu-sources', sources: relay.sources() });
    for (const o of others) p.net.handle({ type: 'sfu-source-key', sourceKey: o.peerId, key: o.key });
    p.net.handle({ type: 'sfu-sending', enabled: true });
  }
}

/** Each player's first frame loads the receivers' decoders (that frame is skipped, as on any path). */
async function warm(relay: FakeSfuRelay, players: Player[]) {
  for (const p of players) p.capture();
  relay.flush();
  for (let i = 0; i < 5; i++) await tick();
}

/** A direct (mesh) channel pair between two players, as `add-transport` on both sides. */
function meshLink(a: Player, b: Player) {
  const ab = fakeChannel();
  const ba = fakeChannel();
  ab.onSend = (bytes) => ba.deliver(bytes);
  ba.onSend = (bytes) => ab.deliver(bytes);
  const id = `mesh-${a.peerId}-${b.peerId}`;
  a.net.handle({ type: 'add-transport', transportId: id, sourceKey: b.peerId, channel: asChannel(ab) });
  b.net.handle({ type: 'add-transport', transportId: id, sourceKey: a.peerId, channel: asChannel(ba) });
  return () => {
    a.net.handle({ type: 'remove-transport', transportId: id });
    b.net.handle({ type: 'remove-transport', transportId: id });
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('AudioNet over the SFU', () => {
  it('three players hear each other through the relay: sealed once, bundled, opened and decoded', async () => {
    const relay = new FakeSfuRelay();
    relay.clockAheadMs = 1234.5;
    const players = [
      await player('ann-peer-01', relay, { seed: 1 }),
      await player('bo-peer-02', relay, { seed: 2 }),
      await player('cy-peer-03', relay, { seed: 3 }),
    ];
    joinRoom(relay, players);
    await warm(relay, players);
    for (let f = 1; f < 20; f++) {
      for (const p of players) p.capture();
      expect(relay.flush()).toBe(3); // one bundle per receiver, carrying both other players' frames
    }
    const [ann, bo, cy] = players as [Player, Player, Player];
    // Slots: each player gave the others slots 0 and 1 in room order.
    expect(ann.decoded(0)).toEqual(range(1, 20)); // bo
    expect(ann.decoded(1)).toEqual(range(1, 20)); // cy
    expect(bo.decoded(0)).toEqual(range(1, 20)); // ann
    expect(cy.decoded(1)).toEqual(range(1, 20)); // bo
    expect(bo.source('ann-peer-01')).toMatchObject({
      sfuFrames: 20,
      framesReceived: 20,
      framesDecoded: 19,
      skippedFrames: 1,
      duplicateFrames: 0,
      concealedFrames: 0,
      undecryptableFrames: 0,
      tamperedFrames: 0,
      transports: 0,
    });
    // One sealed frame per encoded frame up, however many listen.
    expect(ann.net.stats().sfu).toMatchObject({
      transports: 1,
      framesSent: 20,
      bundles: 20,
      badBundles: 0,
      unknownSourceFrames: 0,
    });
    expect(ann.sfu.sent).toBe(20);
    expect(relay.forwarded).toBe(120);
    expect(players.flatMap((p) => p.errors())).toEqual([]);

    // Link probes on the SFU channel: the relay answers, and the Worker has an RTT to the relay and
    // the relay's clock − its own, within the estimate's bound.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(relay.pongs).toBeGreaterThanOrEqual(3);
    const sfu = ann.net.stats().sfu;
    expect(sfu.rttMs).not.toBeNull();
    expect(sfu.clockUncertaintyMs).not.toBeNull();
    expect(Math.abs(sfu.clockOffsetMs! - 1234.5)).toBeLessThanOrEqual(sfu.clockUncertaintyMs! + 0.001);
  });

  it('decodes each frame once when a source arrives over mesh and SFU at once', async () => {
    const relay = new FakeSfuRelay();
    const ann = await player('ann-peer-01', relay, { seed: 1 });
    const bo = await player('bo-peer-02', relay, { seed: 2 });
    joinRoom(relay, [ann, bo]);
    meshLink(ann, bo);
    await warm(relay, [ann, bo]);
    for (let f = 1; f < 30; f++) {
      ann.capture(); // arrives over the mesh at once…
      if (f % 3 === 0) relay.flush(); // …and through the relay later, three frames to a bundle
    }
    relay.flush();
    expect(bo.decoded(0)).toEqual(range(1, 30));
    expect(bo.source('ann-peer-01')).toMatchObject({
      framesReceived: 60,
      sfuFrames: 30,
      duplicateFrames: 30,
      framesDecoded: 29,
      concealedFrames: 0,
      lateFrames: 0,
      transports: 1,
    });
  });

  it('switches mesh → SFU → mesh mid-stream without losing a frame (seq continuity in the packet ring)', async () => {
    const relay = new FakeSfuRelay();
    const ann = await player('ann-peer-01', relay, { seed: 1 });
    const bo = await player('bo-peer-02', relay, { seed: 2, shared: true });
    joinRoom(relay, [ann, bo]);
    ann.net.handle({ type: 'sfu-sending', enabled: false });
    let unlink = meshLink(ann, bo);
    await warm(relay, [ann, bo]);
    const ring = bo.ring!;
    const packets: Array<{ seq: number; flags: number }> = [];
    const drain = () => {
      for (let s = ring.peek(); s >= 0; s = ring.peek()) {
        packets.push({ seq: ring.seq(s), flags: ring.flags(s) });
        ring.release();
      }
    };
    // The relay path runs one frame behind the mesh (it flushes before the next frame is captured).
    const step = () => {
      relay.flush();
      ann.capture();
      drain();
    };
    let f = 1;
    for (; f < 10; f++) step(); // mesh only
    ann.net.handle({ type: 'sfu-sending', enabled: true });
    for (; f < 15; f++) step(); // both: the room is switching to the SFU
    unlink();
    for (; f < 30; f++) step(); // SFU only
    unlink = meshLink(ann, bo);
    for (; f < 35; f++) step(); // both: switching back
    ann.net.handle({ type: 'sfu-sending', enabled: false });
    for (; f < 50; f++) step(); // mesh only
    relay.flush();
    drain();
    expect(packets.map((p) => p.seq)).toEqual(range(1, 50));
    expect(packets.filter((p) => p.flags & (PacketFlag.Concealed | PacketFlag.Recovered))).toEqual([]);
    const stats = bo.source('ann-peer-01');
    expect(stats).toMatchObject({ framesDecoded: 49, concealedFrames: 0, lateFrames: 0 });
    // Frames 10…34 went through the relay (the warm-up frame did not: sending was off).
    expect(stats.sfuFrames).toBe(25);
    expect(stats.duplicateFrames).toBe(10); // 10…14 and 30…34 came both ways
  });

  it('drops and counts a tampered entry, a misaddressed one, an unknown index and a bad bundle', async () => {
    const relay = new FakeSfuRelay();
    const ann = await player('ann-peer-01', relay, { seed: 1 });
    const bo = await player('bo-peer-02', relay, { seed: 2 });
    const cy = await player('cy-peer-03', relay, { seed: 3 });
    joinRoom(relay, [ann, bo, cy]);
    await warm(relay, [ann, bo, cy]);
    const seqOf = (frame: Uint8Array) =>
      new DataView(frame.buffer, frame.byteOffset).getUint32(FRAME_SEQ_OFFSET, true);
    // The relay flips one ciphertext bit of ann's frame 5 on its way to bo.
    relay.tamper = (frame, from, to) => {
      if (from === 'ann-peer-01' && to === 'bo-peer-02' && seqOf(frame) === 5)
        frame[SEALED_PREFIX_BYTES + 2]! ^= 1;
      return frame;
    };
    for (let f = 1; f < 10; f++) {
      ann.capture();
      relay.flush();
    }
    // Frame 5 was dropped; the next frame's redundant copy restored it exactly.
    expect(bo.decoded(0)).toEqual(range(1, 10));
    expect(bo.source('ann-peer-01')).toMatchObject({ tamperedFrames: 1, recoveredFrames: 1, sfuFrames: 9 });
    // Cy hears the untouched frames.
    expect(cy.source('ann-peer-01')).toMatchObject({ tamperedFrames: 0, framesDecoded: 9 });

    // A frame of ann's sent to bo under cy's index does not open with cy's key.
    relay.tamper = null;
    ann.capture();
    expect(relay.flush()).toBe(2);
    const writer = new BundleWriter();
    let sealed: Uint8Array | null = null;
    relay.tamper = (frame) => ((sealed = frame), null);
    ann.capture();
    relay.flush();
    writer.add(relay.indexOf('cy-peer-03'), sealed!);
    relay.sendRaw('bo-peer-02', writer.take()!);
    expect(bo.source('cy-peer-03').tamperedFrames).toBe(1);
    expect(bo.source('cy-peer-03').sfuFrames).toBe(1); // only its warm-up frame

    // An index the mapping does not name; a truncated bundle; something that is not a bundle.
    writer.add(999, sealed!);
    relay.sendRaw('bo-peer-02', writer.take()!);
    relay.sendRaw('bo-peer-02', Uint8Array.of(SFU_BUNDLE_KIND, 2, 3, 0, 40, 0, 1, 2));
    relay.sendRaw('bo-peer-02', Uint8Array.of(0x42, 1, 2, 3));
    expect(bo.net.stats().sfu).toMatchObject({ unknownSourceFrames: 1, badBundles: 2 });
    // Ann's frames 1…10 (5 restored from 6's copy), nothing of the misaddressed 11.
    expect(bo.source('ann-peer-01')).toMatchObject({ framesDecoded: 9, recoveredFrames: 1, sfuFrames: 10 });
  });

  it('counts frames under a key it does not hold as undecryptable, and keeps the two newest keys on rotation', async () => {
    const relay = new FakeSfuRelay();
    const ann = await player('ann-peer-01', relay, { seed: 1 });
    const bo = await player('bo-peer-02', relay, { seed: 2 });
    joinRoom(relay, [ann, bo]);
    await warm(relay, [ann, bo]);
    // Ann rotates to key 2 before bo has it: bo cannot open those frames.
    ann.net.handle({ type: 'sfu-send-key', key: frameKey(2, 11) });
    for (let f = 1; f < 4; f++) {
      ann.capture();
      relay.flush();
    }
    expect(bo.source('ann-peer-01')).toMatchObject({ undecryptableFrames: 3, sfuFrames: 1 });
    // A wrong key under the right id does not open them either (authentication fails).
    bo.net.handle({ type: 'sfu-source-key', sourceKey: 'ann-peer-01', key: frameKey(2, 12) });
    ann.capture();
    relay.flush();
    expect(bo.source('ann-peer-01').tamperedFrames).toBe(1);
    // With the right key 2 (replacing the wrong one), frames open again; a frame still sealed with key 1,
    // held back by the relay across the rotation, opens too.
    let held: Uint8Array | null = null;
    relay.tamper = (frame) => ((held = frame), null);
    const before = ann.key;
    ann.net.handle({ type: 'sfu-send-key', key: frameKey(3, 13) }); // ann's sealer moves on…
    ann.net.handle({ type: 'sfu-send-key', key: before }); // …and refuses an old key
    expect(ann.errors()).toEqual(['sfu-key']);
    ann.capture(); // sealed with key 3, held back
    relay.tamper = null;
    bo.net.handle({ type: 'sfu-source-key', sourceKey: 'ann-peer-01', key: frameKey(2, 11) });
    bo.net.handle({ type: 'sfu-source-key', sourceKey: 'ann-peer-01', key: frameKey(3, 13) });
    const writer = new BundleWriter();
    writer.add(relay.indexOf('ann-peer-01'), held!);
    relay.sendRaw('bo-peer-02', writer.take()!);
    const opened = bo.source('ann-peer-01').sfuFrames;
    expect(opened).toBe(2);
    // Keys 2 and 3 held: a frame under key 2 still opens, one under key 1 no longer does.
    ann.net.handle({ type: 'sfu-send-key', key: frameKey(2, 11) });
    expect(ann.errors()).toEqual(['sfu-key', 'sfu-key']); // used before, refused: nonces would repeat
    ann.capture();
    relay.flush();
    expect(bo.source('ann-peer-01')).toMatchObject({ sfuFrames: 3 });
    bo.net.handle({ type: 'sfu-source-key', sourceKey: 'ann-peer-01', key: frameKey(4, 14) });
    ann.capture(); // still key 3 at ann
    relay.flush();
    expect(bo.source('ann-peer-01')).toMatchObject({ sfuFrames: 4, undecryptableFrames: 3 });
  });

  it('drops a departed source’s keys on remove-source, but keeps keys that came before their source', async () => {
    const relay = new FakeSfuRelay();
    const ann = await player('ann-peer-01', relay, { seed: 1 });
    const bo = await player('bo-peer-02', relay, { seed: 2 });
    joinRoom(relay, [ann, bo]);
    await warm(relay, [ann, bo]);
    ann.capture();
    relay.flush();
    expect(bo.source('ann-peer-01')).toMatchObject({ sfuFrames: 2, undecryptableFrames: 0 });
    // Ann leaves and comes back under the same source key: her old key is gone with her.
    bo.net.handle({ type: 'remove-source', sourceKey: 'ann-peer-01' });
    bo.net.handle({ type: 'add-source', sourceKey: 'ann-peer-01', slot: 0 });
    ann.capture();
    relay.flush();
    expect(bo.source('ann-peer-01')).toMatchObject({ sfuFrames: 0, undecryptableFrames: 1 });
    // A key that arrives before its source, then a stray removal of a source bo does not have: kept.
    bo.net.handle({ type: 'remove-source', sourceKey: 'ann-peer-01' });
    bo.net.handle({ type: 'sfu-source-key', sourceKey: 'ann-peer-01', key: ann.key });
    bo.net.handle({ type: 'remove-source', sourceKey: 'ann-peer-01' });
    bo.net.handle({ type: 'add-source', sourceKey: 'ann-peer-01', slot: 0 });
    ann.capture();
    relay.flush();
    expect(bo.source('ann-peer-01')).toMatchObject({ sfuFrames: 1, undecryptableFrames: 0 });
    expect(bo.errors()).toEqual([]);
  });

  it('skips rather than queues when the SFU channel is backed up, and never sends a frame too large for a bundle', async () => {
    const relay = new FakeSfuRelay();
    const pcm: SendSettings = { codec: 'pcm', frameSamples: 480, channels: 2, bitrate: 0, fec: false };
    const ann = await player('ann-peer-01', relay, { seed: 1, settings: pcm });
    ann.net.handle({ type: 'sfu-sending', enabled: true });
    ann.capture(); // 10 ms of stereo PCM: 1,936 bytes, more than a bundle holds
    ann.capture(240, 2); // 5 ms: fits (but the encoder is set to 10 ms frames: skipped)
    expect(ann.net.stats().sfu).toMatchObject({ oversizeFrames: 1, framesSent: 0 });
    ann.net.handle({ type: 'settings', settings: { ...pcm, frameSamples: 240 } });
    while (ann.posted.filter((m) => m.type === 'ready').length < 2) await tick();
    ann.capture(240, 2);
    ann.sfu.bufferedAmount = 1 << 20;
    ann.capture(240, 2);
    expect(ann.net.stats().sfu).toMatchObject({ framesSent: 1, skippedSends: 1, oversizeFrames: 1 });
  });

  it('sends nothing up without a key, or while SFU sending is off', async () => {
    const relay = new FakeSfuRelay();
    const posted: FromAudioWorker[] = [];
    const net = new AudioNet((message) => posted.push(message));
    nets.push(net);
    net.handle({
      type: 'init',
      version: AUDIO_WORKER_VERSION,
      captureMemory: new ArrayBuffer(SAMPLE_RING_BYTES),
      packetMemory: new ArrayBuffer(PACKET_RINGS_BYTES),
      shared: false,
      settings: { ...opus, codec: 'pcm' },
    });
    while (!posted.some((m) => m.type === 'ready')) await tick();
    const channel = relay.join('ann-peer-01');
    net.handle({ type: 'add-sfu', transportId: 'sfu', channel: asChannel(channel) });
    const capture = () =>
      net.handle({
        type: 'capture-frame',
        senderTime: 0,
        frameSamples: N,
        channels: 1,
        samples: new Float32Array(N),
      });
    capture(); // sending off
    net.handle({ type: 'sfu-sending', enabled: true });
    capture(); // no key
    net.handle({
      type: 'sfu-send-key',
      key: { keyId: 300, key: new Uint8Array(32), salt: new Uint8Array(4) },
    });
    capture(); // the key was refused (id is a u8)
    expect(posted.filter((m) => m.type === 'error').map((m) => m.type === 'error' && m.code)).toEqual([
      'sfu-key',
    ]);
    expect(net.stats().sfu).toMatchObject({ framesSent: 0, unkeyedFrames: 2 });
    expect(channel.sent).toBe(0);
  });

  it('relays through the main thread when the SFU channel could not be transferred', async () => {
    const relay = new FakeSfuRelay();
    const ann = await player('ann-peer-01', relay, { seed: 1 });
    const bo = await player('bo-peer-02', relay, { seed: 2 });
    joinRoom(relay, [ann, bo]);
    // Bo's Worker gets a relayed SFU transport instead of the channel.
    bo.net.handle({ type: 'remove-transport', transportId: 'sfu' });
    bo.net.handle({ type: 'add-sfu', transportId: 'relayed' });
    bo.capture();
    const sends = bo.posted.filter((m) => m.type === 'send');
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({ transportId: 'relayed' });
    // What the main thread gets on the channel it kept comes in as `frame`.
    const writer = new BundleWriter();
    relay.tamper = (frame) => (writer.add(relay.indexOf('ann-peer-01'), frame), null);
    for (let f = 0; f < 4; f++) ann.capture();
    const bundle = writer.take();
    bo.net.handle({ type: 'frame', transportId: 'relayed', bytes: bundle!.slice().buffer });
    await tick();
    expect(bo.source('ann-peer-01')).toMatchObject({ sfuFrames: 4 });
    expect(bo.net.stats().sfu).toMatchObject({ transports: 1, bundles: 1 });
  });
});
