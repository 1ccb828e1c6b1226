import { describe, expect, it } from 'vitest';
import {
  AUDIO_FRAME_HEADER_BYTES,
  AudioCodec,
  encodePcm16,
  writeAudioFrameHeader,
} from '../../protocol/audio-frame';
import type { PacketMeta } from '../../protocol/audio-layout';
import { PeerStream, type FrameTransport } from './peer-stream';

function pcmFrame(seq: number, value: number): Uint8Array {
  const bytes = new Uint8Array(AUDIO_FRAME_HEADER_BYTES + 120 * 2);
  writeAudioFrameHeader(bytes, {
    codec: AudioCodec.Pcm16,
    channels: 1,
    flags: 0,
    seq,
    senderTime: seq * 120,
    frameSamples: 120,
  });
  encodePcm16([new Float32Array(120).fill(value)], 1, 120, bytes, AUDIO_FRAME_HEADER_BYTES);
  return bytes;
}

/** Two streams joined back to back by an in-memory channel (delivered on `flush`), with a settable clock. */
function pair() {
  let now = 1000;
  const queue: Array<() => void> = [];
  /** Delivers what is in flight now; answers it provokes wait for the next flush. */
  const flush = () => {
    for (const deliver of queue.splice(0)) deliver();
  };
  const delivered: Array<{ meta: PacketMeta; first: number }> = [];
  const make = (name: string, deliver: (bytes: Uint8Array) => void) => {
    const transport: FrameTransport & { sent: number; bufferedAmount: number; open: boolean } = {
      open: true,
      bufferedAmount: 0,
      sent: 0,
      send: (b: Uint8Array) => (transport.sent++, deliver(b)),
      close: () => (transport.open = false),
    };
    const stream = new PeerStream({
      peerKey: name,
      transport,
      now: () => now,
      sink: (meta, planes) => delivered.push({ meta: { ...meta }, first: planes[0]![0]! }),
    });
    return [stream, transport] as const;
  };
  // eslint-disable-next-line prefer-const
  let b: PeerStream;
  const [a, aTransport] = make('a', (bytes) => queue.push(() => b.receive(bytes)));
  const [bStream] = make('b', (bytes) => queue.push(() => a.receive(bytes)));
  b = bStream;
  return { a, b, aTransport, delivered, flush, tick: (ms: number) => (now += ms) };
}

describe('PeerStream', () => {
  it('decodes PCM frames into the sink with their sequence, sender time and arrival time', () => {
    const { a, b, delivered, flush } = pair();
    a.send(pcmFrame(7, 0.5));
    flush();
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.meta).toMatchObject({
      seq: 7,
      senderTime: 840,
      frameSamples: 120,
      channels: 1,
      arrivalTime: 1000,
    });
    expect(delivered[0]!.first).toBeCloseTo(0.5, 3);
    expect(b.stats()).toMatchObject({ framesReceived: 1, badFrames: 0, codec: 'pcm' });
    expect(a.stats().framesSent).toBe(1);
  });

  it('counts and drops malformed frames without throwing', () => {
    const { b, delivered } = pair();
    b.receive(new Uint8Array([1, 2, 3]));
    b.receive(new Uint8Array(40).fill(9));
    b.receive(new Uint8Array([0x80, 1]));
    expect(delivered).toHaveLength(0);
    expect(b.stats().badFrames).toBe(3);
  });

  it('measures round-trip time with pings answered by the other side', () => {
    const { a, flush, tick } = pair();
    expect(a.stats().rttMs).toBeNull();
    a.ping();
    tick(5);
    flush(); // b answers
    tick(7);
    flush(); // a gets the pong 12 ms after sending
    expect(a.stats().rttMs).toBe(12);
    a.ping();
    tick(2);
    flush();
    flush();
    expect(a.stats().rttMs).toBeCloseTo(12 + 0.2 * (2 - 12), 6); // smoothed
  });

  it('skips sending when the channel is backed up, and stops after close', () => {
    const { a, aTransport } = pair();
    aTransport.bufferedAmount = 1 << 20;
    a.send(pcmFrame(1, 0));
    expect(a.stats().framesSent).toBe(0);
    aTransport.bufferedAmount = 0;
    a.close();
    a.send(pcmFrame(2, 0));
    expect(aTransport.sent).toBe(0);
    expect(aTransport.open).toBe(false);
  });
});
