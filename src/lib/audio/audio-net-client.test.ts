import { describe, expect, it } from 'vitest';
import { parseImpairment } from '../protocol/audio-worker';
import { AudioNetClient } from './audio-net-client';

/** A Worker stand-in that records what it is sent; `refuseTransfer` mimics a browser without the feature. */
class FakeWorker {
  posted: Array<{ message: { type: string; slot?: number; peerKey?: string }; transfer: unknown[] }> = [];
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  terminated = false;
  constructor(private readonly refuseTransfer = false) {}
  postMessage(message: { type: string }, transfer: unknown[] = []) {
    if (this.refuseTransfer && transfer.length > 0) throw new DOMException('no', 'DataCloneError');
    this.posted.push({ message, transfer });
  }
  terminate() {
    this.terminated = true;
  }
}

const channel = () => ({ close() {}, binaryType: 'blob', onmessage: null }) as unknown as RTCDataChannel;

describe('AudioNetClient', () => {
  it('gives each peer a free slot and reuses freed ones', () => {
    const worker = new FakeWorker();
    const net = new AudioNetClient(() => worker as unknown as Worker);
    net.addPeer('a', channel());
    const releaseB = net.addPeer('b', channel());
    releaseB();
    net.addPeer('c', channel());
    expect([...net.slots]).toEqual([
      ['a', 0],
      ['c', 1],
    ]);
    expect(worker.posted.filter((p) => p.message.type === 'add-peer')[0]!.transfer).toHaveLength(1);
  });

  it('releases only its own registration when a pair re-forms under the same key', () => {
    const net = new AudioNetClient(() => new FakeWorker() as unknown as Worker);
    const releaseOld = net.addPeer('a', channel());
    net.addPeer('a', channel()); // the new link for the same peer
    releaseOld(); // the old link finishes closing afterwards
    expect(net.slots.has('a')).toBe(true);
  });

  it('keeps the channel and relays when the browser cannot transfer it', () => {
    const worker = new FakeWorker(true);
    const net = new AudioNetClient(() => worker as unknown as Worker);
    const ch = channel();
    net.addPeer('a', ch);
    expect(net.slots.get('a')).toBe(0);
    expect(worker.posted.at(-1)!.message).toMatchObject({ type: 'add-peer', peerKey: 'a', slot: 0 });
    expect(ch.onmessage).not.toBeNull();
  });

  it('disposes once: tells the Worker, terminates it, and ignores later calls', () => {
    const worker = new FakeWorker();
    const net = new AudioNetClient(() => worker as unknown as Worker);
    net.dispose();
    net.dispose();
    net.addPeer('a', channel());
    expect(worker.terminated).toBe(true);
    expect(worker.posted.map((p) => p.message.type)).toEqual(['dispose']);
  });
});

describe('parseImpairment', () => {
  it('reads loss percent and jitter ms, and refuses nonsense', () => {
    expect(parseImpairment('loss:1,jitter:2')).toEqual({ lossRate: 0.01, jitterMs: 2 });
    expect(parseImpairment('jitter:5')).toEqual({ lossRate: 0, jitterMs: 5 });
    expect(parseImpairment(null)).toBeNull();
    expect(parseImpairment('loss:500')).toBeNull();
    expect(parseImpairment('loss:x')).toBeNull();
  });
});
