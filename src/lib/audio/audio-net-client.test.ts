import { describe, expect, it } from 'vitest';
import { MAX_PEERS } from '../protocol/audio-layout';
import { parseImpairment } from '../protocol/audio-worker';
import { AudioNetClient } from './audio-net-client';

/** A Worker stand-in that records what it is sent; `refuseTransfer` mimics a browser without the feature. */
class FakeWorker {
  posted: Array<{
    message: { type: string; slot?: number; sourceKey?: string; transportId?: string };
    transfer: unknown[];
  }> = [];
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
  it('gives each source a free slot, reuses freed ones, and keeps a source’s slot when added again', () => {
    const worker = new FakeWorker();
    const net = new AudioNetClient(() => worker as unknown as Worker);
    const added: string[] = [];
    net.events.on('source-added', ({ sourceKey, slot }) => added.push(`${sourceKey}@${slot}`));
    expect(net.addSource('a')).toBe(0);
    expect(net.addSource('b')).toBe(1);
    net.removeSource('b');
    expect(net.addSource('c')).toBe(1);
    expect(net.addSource('a')).toBe(0);
    expect([...net.slots]).toEqual([
      ['a', 0],
      ['c', 1],
    ]);
    expect(added).toEqual(['a@0', 'b@1', 'c@1']);
  });

  it('says when every slot is taken', () => {
    const net = new AudioNetClient(() => new FakeWorker() as unknown as Worker);
    const errors: string[] = [];
    net.events.on('error', ({ code }) => errors.push(code));
    for (let i = 0; i < MAX_PEERS; i++) expect(net.addSource(`p${i}`)).toBe(i);
    expect(net.addSource('one-too-many')).toBeNull();
    expect(errors).toEqual(['too-many-peers']);
  });

  it('transfers a transport’s channel against its source key, before or after the source exists', () => {
    const worker = new FakeWorker();
    const net = new AudioNetClient(() => worker as unknown as Worker);
    const release = net.addTransport('a', channel());
    net.addSource('a');
    const first = worker.posted[0]!;
    expect(first.message).toMatchObject({ type: 'add-transport', sourceKey: 'a' });
    expect(first.transfer).toHaveLength(1);
    release();
    release();
    const removed = worker.posted.filter((p) => p.message.type === 'remove-transport');
    expect(removed.map((p) => p.message.transportId)).toEqual([first.message.transportId]);
  });

  it('releases only its own transport when a pair re-forms under the same source', () => {
    const worker = new FakeWorker();
    const net = new AudioNetClient(() => worker as unknown as Worker);
    const releaseOld = net.addTransport('a', channel());
    net.addTransport('a', channel()); // the new link for the same peer
    releaseOld(); // the old link finishes closing afterwards
    const ids = worker.posted
      .filter((p) => p.message.type === 'add-transport')
      .map((p) => p.message.transportId);
    const removed = worker.posted
      .filter((p) => p.message.type === 'remove-transport')
      .map((p) => p.message.transportId);
    expect(ids).toHaveLength(2);
    expect(removed).toEqual([ids[0]]);
  });

  it('keeps the channel and relays when the browser cannot transfer it', () => {
    const worker = new FakeWorker(true);
    const net = new AudioNetClient(() => worker as unknown as Worker);
    const ch = channel();
    net.addTransport('a', ch);
    expect(worker.posted.at(-1)!.message).toMatchObject({ type: 'add-transport', sourceKey: 'a' });
    expect(ch.onmessage).not.toBeNull();
  });

  it('transfers the SFU channel, releases it once, and relays it when the transfer fails', () => {
    const worker = new FakeWorker();
    const net = new AudioNetClient(() => worker as unknown as Worker);
    const release = net.addSfuTransport(channel());
    const added = worker.posted[0]!;
    expect(added.message).toMatchObject({ type: 'add-sfu' });
    expect(added.transfer).toHaveLength(1);
    release();
    release();
    const removed = worker.posted.filter((p) => p.message.type === 'remove-transport');
    expect(removed.map((p) => p.message.transportId)).toEqual([added.message.transportId]);

    const refusing = new FakeWorker(true);
    const fallback = new AudioNetClient(() => refusing as unknown as Worker);
    const ch = channel();
    fallback.addSfuTransport(ch);
    expect(refusing.posted.at(-1)!.message).toEqual({ type: 'add-sfu', transportId: expect.any(String) });
    expect(ch.onmessage).not.toBeNull();
  });

  it('passes the relay’s source indexes, SFU sending and copies of the keys to the Worker', () => {
    const worker = new FakeWorker();
    const net = new AudioNetClient(() => worker as unknown as Worker);
    net.setSfuSources([{ index: 4, sourceKey: 'bo-peer-01' }]);
    net.setSfuSending(true);
    const key = { keyId: 7, key: new Uint8Array(32).fill(1), salt: new Uint8Array(4).fill(2) };
    net.setSfuSendKey(key);
    net.setSfuSourceKey('bo-peer-01', key);
    key.key.fill(0); // the caller wipes its copy: what the Worker was given must not change
    expect(worker.posted.map((p) => p.message)).toEqual([
      { type: 'sfu-sources', sources: [{ index: 4, sourceKey: 'bo-peer-01' }] },
      { type: 'sfu-sending', enabled: true },
      {
        type: 'sfu-send-key',
        key: { keyId: 7, key: new Uint8Array(32).fill(1), salt: new Uint8Array(4).fill(2) },
      },
      {
        type: 'sfu-source-key',
        sourceKey: 'bo-peer-01',
        key: { keyId: 7, key: new Uint8Array(32).fill(1), salt: new Uint8Array(4).fill(2) },
      },
    ]);
  });

  it('disposes once: tells the Worker, terminates it, and ignores later calls', () => {
    const worker = new FakeWorker();
    const net = new AudioNetClient(() => worker as unknown as Worker);
    net.dispose();
    net.dispose();
    net.addSource('a');
    net.addTransport('a', channel());
    net.addSfuTransport(channel())();
    net.setSfuSending(true);
    expect(worker.terminated).toBe(true);
    expect(worker.posted.map((p) => p.message.type)).toEqual(['dispose']);
  });
});

describe('AudioNetClient recording', () => {
  it('sends capture anchors, and a record port transferred, then null to stop', () => {
    const worker = new FakeWorker();
    const net = new AudioNetClient(() => worker as unknown as Worker);
    net.setCaptureAnchor({ senderTime: 7, epochMs: 8 });
    const { port1, port2 } = new MessageChannel();
    net.record(port1);
    net.record(null);
    expect(worker.posted.map((p) => [p.message, p.transfer])).toEqual([
      [{ type: 'capture-anchor', anchor: { senderTime: 7, epochMs: 8 } }, []],
      [{ type: 'record', port: port1 }, [port1]],
      [{ type: 'record', port: null }, []],
    ]);
    net.dispose();
    net.record(port2); // after dispose: the port is closed, nothing is sent
    expect(worker.posted.at(-1)!.message.type).toBe('dispose');
    port1.close();
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
