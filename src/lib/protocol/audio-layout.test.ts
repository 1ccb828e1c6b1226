import { describe, expect, it } from 'vitest';
import {
  MAX_PEERS,
  PACKET_RING_SLOTS,
  PACKET_RINGS_BYTES,
  PARAM_BYTES,
  PacketRing,
  ParamBlock,
  ParamGlobal,
  PeerStatusFloat,
  PeerStatusInt,
  SAMPLE_RING_BYTES,
  STATUS_BYTES,
  SampleRing,
  SampleRingHeader,
  StatusBlock,
  allocateAudioMemory,
} from './audio-layout.js';

describe.each([true, false])('audio layouts (shared=%s)', (shared) => {
  it('packet ring: FIFO order, full ring overflows, fields and planar PCM survive, per-peer isolation', () => {
    const mem = allocateAudioMemory(PACKET_RINGS_BYTES, shared);
    const producer = PacketRing.forPeer(mem, 3);
    const consumer = PacketRing.forPeer(mem, 3);
    const other = PacketRing.forPeer(mem, 2);
    const l = new Float32Array(240).fill(0.25);
    const r = new Float32Array(240).fill(-0.5);
    for (let i = 0; i < PACKET_RING_SLOTS; i++) {
      const meta = {
        seq: 0xfffffff0 + i,
        senderTime: i * 240,
        arrivalTime: 1000.5 + i,
        frameSamples: 240,
        channels: 2,
        flags: i === 0 ? 1 : 0,
      };
      expect(producer.write(meta, [l, r])).toBe(true);
    }
    expect(
      producer.write({ seq: 0, senderTime: 0, arrivalTime: 0, frameSamples: 240, channels: 2, flags: 0 }, [
        l,
        r,
      ]),
    ).toBe(false);
    expect(producer.overflows()).toBe(1);
    expect(other.available()).toBe(0);
    expect(consumer.available()).toBe(PACKET_RING_SLOTS);
    for (let i = 0; i < PACKET_RING_SLOTS; i++) {
      const s = consumer.peek();
      expect(s).toBeGreaterThanOrEqual(0);
      expect(consumer.seq(s)).toBe((0xfffffff0 + i) >>> 0);
      expect(consumer.senderTime(s)).toBe(i * 240);
      expect(consumer.arrivalTime(s)).toBe(1000.5 + i);
      expect(consumer.frameSamples(s)).toBe(240);
      expect(consumer.channels(s)).toBe(2);
      expect(consumer.flags(s)).toBe(i === 0 ? 1 : 0);
      expect(consumer.pcm(s)[239]).toBe(0.25);
      expect(consumer.pcm(s)[240]).toBe(-0.5);
      consumer.release();
    }
    expect(consumer.peek()).toBe(-1);
    expect(
      producer.write({ seq: 1, senderTime: 0, arrivalTime: 0, frameSamples: 481, channels: 1, flags: 0 }, [
        l,
      ]),
    ).toBe(false);
  });

  it('sample ring: whole frames across the wrap, overflow drops whole frames, frame counter advances', () => {
    const mem = allocateAudioMemory(SAMPLE_RING_BYTES, shared);
    const ring = new SampleRing(mem);
    ring.setShape(2, 240);
    const frame = new Float32Array(480);
    const out = new Float32Array(480);
    let next = 0;
    let expected = 0;
    for (let k = 0; k < 100; k++) {
      for (let i = 0; i < 480; i++) frame[i] = next++;
      expect(ring.writeFrame(frame, 480)).toBe(true);
      expect(ring.read(out, 480)).toBe(480);
      let bad = 0;
      for (let i = 0; i < 480; i++) if (out[i] !== expected++) bad++;
      expect(bad).toBe(0);
    }
    expect(ring.header[SampleRingHeader.Frames]).toBe(100);
    for (let k = 0; k < 18; k++) ring.writeFrame(frame, 480);
    expect(ring.header[SampleRingHeader.Overflows]).toBe(1);
    expect(ring.availableRead()).toBe(17 * 480);
  });

  it('status and parameter blocks round-trip and reset', () => {
    const status = new StatusBlock(allocateAudioMemory(STATUS_BYTES, shared));
    status.ints[StatusBlock.peerInt(MAX_PEERS - 1, PeerStatusInt.Late)] = 7;
    status.floats[StatusBlock.peerFloat(MAX_PEERS - 1, PeerStatusFloat.TargetMs)] = 5;
    expect(status.readPeer(MAX_PEERS - 1)).toMatchObject({ Late: 7, TargetMs: 5, Underruns: 0 });
    status.resetPeer(MAX_PEERS - 1);
    expect(status.readPeer(MAX_PEERS - 1)).toMatchObject({ Late: 0, TargetMs: 0 });

    const params = new ParamBlock(allocateAudioMemory(PARAM_BYTES, shared));
    params.reset();
    expect(params.getPeer(0)).toEqual({ gain: 1, pan: 0, mute: false, solo: false });
    params.setPeer(7, { gain: 0.5, pan: 3, mute: true, solo: true });
    expect(params.getPeer(7)).toEqual({ gain: 0.5, pan: 1, mute: true, solo: true });
    params.setGlobal(ParamGlobal.JitterOverrideMs, 12);
    expect(params.getGlobal(ParamGlobal.JitterOverrideMs)).toBe(12);
    expect(params.getGlobal(ParamGlobal.MasterGain)).toBe(1);
  });
});
