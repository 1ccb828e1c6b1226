import { describe, expect, it } from 'vitest';
import { parseClientMessage, parseServerMessage } from './signaling.js';
import {
  BundleWriter,
  parseSfuSources,
  readBundle,
  SFU_BUNDLE_KIND,
  SFU_BUNDLE_MAX_BYTES,
  SFU_MAX_UPSTREAM_BYTES,
} from './sfu.js';

const frame = (length: number, fill: number) => new Uint8Array(length).fill(fill);

describe('SFU bundles', () => {
  it('round-trips frames with their source index through BundleWriter and readBundle', () => {
    const writer = new BundleWriter();
    writer.add(7, frame(40, 1));
    writer.add(65535, frame(3, 2));
    const bundle = writer.take()!;
    expect(bundle[0]).toBe(SFU_BUNDLE_KIND);
    const read = readBundle(bundle);
    expect(read.ok && read.entries.map((e) => [e.sourceIndex, [...e.frame]])).toEqual([
      [7, [...frame(40, 1)]],
      [65535, [...frame(3, 2)]],
    ]);
    expect(writer.take()).toBeNull();
  });

  it('never builds a bundle larger than one SCTP packet', () => {
    const writer = new BundleWriter();
    const bundles: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      const f = frame(77, i);
      if (!writer.fits(f.length)) bundles.push(writer.take()!);
      writer.add(i, f);
    }
    bundles.push(writer.take()!);
    expect(bundles.length).toBeGreaterThan(2);
    let frames = 0;
    for (const b of bundles) {
      expect(b.length).toBeLessThanOrEqual(SFU_BUNDLE_MAX_BYTES);
      const read = readBundle(b);
      if (read.ok) frames += read.entries.length;
    }
    expect(frames).toBe(40);
    // The largest upstream frame fits a bundle alone.
    const alone = new BundleWriter();
    expect(alone.fits(SFU_MAX_UPSTREAM_BYTES)).toBe(true);
    expect(alone.fits(SFU_MAX_UPSTREAM_BYTES + 1)).toBe(false);
  });

  it('rejects malformed bundles whole', () => {
    const writer = new BundleWriter();
    writer.add(1, frame(10, 9));
    const good = writer.take()!;
    const cases: Array<[Uint8Array, string]> = [
      [new Uint8Array([]), 'not-a-bundle'],
      [new Uint8Array([0x80, 1]), 'not-a-bundle'],
      [new Uint8Array([SFU_BUNDLE_KIND, 0]), 'empty'],
      [good.subarray(0, good.length - 1), 'truncated'],
      [Uint8Array.from([...good, 0]), 'trailing-bytes'],
      [Uint8Array.from([SFU_BUNDLE_KIND, 1, 1, 0, 0, 0]), 'truncated'],
      [new Uint8Array(SFU_BUNDLE_MAX_BYTES + 1).fill(SFU_BUNDLE_KIND), 'too-large'],
    ];
    for (const [bytes, reason] of cases) expect(readBundle(bytes)).toEqual({ ok: false, reason });
  });
});

describe('room-route sources', () => {
  it('accepts distinct peers with distinct u16 indexes only', () => {
    expect(parseSfuSources([{ peerId: 'peer-ada-0001', index: 0 }])).toEqual([
      { peerId: 'peer-ada-0001', index: 0 },
    ]);
    for (const bad of [
      null,
      [{ peerId: 'peer-ada-0001', index: -1 }],
      [{ peerId: 'peer-ada-0001', index: 65536 }],
      [{ peerId: 'peer-ada-0001', index: 1.5 }],
      [{ peerId: 'not a peer!', index: 1 }],
      [
        { peerId: 'peer-ada-0001', index: 1 },
        { peerId: 'peer-bob-0001', index: 1 },
      ],
      [
        { peerId: 'peer-ada-0001', index: 1 },
        { peerId: 'peer-ada-0001', index: 2 },
      ],
    ]) {
      expect(parseSfuSources(bad)).toBeNull();
    }
  });
});

describe('SFU signaling messages', () => {
  const offer = { kind: 'description', description: { type: 'offer', sdp: 'v=0' } };
  it('parses sfu-signal and route-request from a browser, refusing malformed ones', () => {
    expect(
      parseClientMessage(JSON.stringify({ type: 'sfu-signal', topic: 'studio/a', signal: offer })),
    ).toEqual({
      ok: true,
      message: { type: 'sfu-signal', topic: 'studio/a', signal: offer },
    });
    expect(
      parseClientMessage(JSON.stringify({ type: 'route-request', topic: 'studio/a', unreachable: true })),
    ).toEqual({ ok: true, message: { type: 'route-request', topic: 'studio/a', unreachable: true } });
    for (const bad of [
      { type: 'sfu-signal', topic: 'studio/a', signal: { kind: 'description', description: { type: 'x' } } },
      { type: 'sfu-signal', signal: offer },
      { type: 'route-request', topic: 'studio/a', unreachable: 'yes' },
    ]) {
      expect(parseClientMessage(JSON.stringify(bad)).ok).toBe(false);
    }
  });

  it('parses room-route from the relay', () => {
    const sources = [{ peerId: 'peer-ada-0001', index: 3 }];
    expect(
      parseServerMessage(JSON.stringify({ type: 'room-route', topic: 'studio/a', mode: 'sfu', sources })),
    ).toEqual({
      ok: true,
      message: { type: 'room-route', topic: 'studio/a', mode: 'sfu', sources },
    });
    expect(
      parseServerMessage(JSON.stringify({ type: 'room-route', topic: 'studio/a', mode: 'both', sources })).ok,
    ).toBe(false);
  });
});
