import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLocks, MemoryOpfs } from '../../../tests/support/opfs-memory';
import type { FromRecorder, TakeStart, ToRecorder } from '../protocol/recording';
import { RecorderClient } from './recorder-client';
import { RecorderCore } from './recorder-core';

/**
 * The Worker, in-process: the real RecorderCore behind a Worker-shaped object (messages are delivered
 * asynchronously, as a Worker's are). Node has no Web Worker to load recorder.worker.ts into.
 */
class InProcessWorker {
  onmessage: ((event: MessageEvent<FromRecorder>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  terminated = false;
  readonly core: RecorderCore;

  constructor(fs: MemoryOpfs, locks: MemoryLocks, estimate = fs.estimate) {
    this.core = new RecorderCore(
      { root: fs.getDirectory, estimate, persisted: async () => false, locks: locks.tab() },
      (message) => setImmediate(() => this.onmessage?.({ data: message } as MessageEvent<FromRecorder>)),
    );
  }

  postMessage(message: ToRecorder): void {
    setImmediate(() => this.core.handle(message));
  }

  terminate(): void {
    this.terminated = true;
  }
}

const TAKE: TakeStart = {
  id: 'take-1',
  name: 'Take 1',
  studio: { id: 's', slug: 'band', name: 'Band' },
  recordedBy: { userId: 'me', name: 'Ana' },
};
const ANCHOR = { contextFrame: 0, epochMs: 5_000 };

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function setup(estimate?: MemoryOpfs['estimate']) {
  const fs = new MemoryOpfs();
  let worker!: InProcessWorker;
  const client = new RecorderClient(() => {
    worker = new InProcessWorker(fs, new MemoryLocks(), estimate);
    return worker as unknown as Worker;
  });
  const tap = new MessageChannel();
  tap.port1.onmessage = () => {};
  cleanups.push(() => {
    client.dispose();
    worker.core.dispose();
    tap.port1.close();
  });
  const block = (contextFrame: number, frames = 480) => {
    const input = new Float32Array(frames).fill(0.1);
    const mix = new Float32Array(frames * 2).fill(0.2);
    const backing = new Float32Array(frames * 2);
    tap.port1.postMessage(
      { type: 'tap-block', contextFrame, frames, inputChannels: 1, input, mix, backing },
      [input.buffer, mix.buffer, backing.buffer],
    );
  };
  return { fs, client, tap, block, worker: () => worker };
}

describe('RecorderClient', () => {
  it('starts, reports, stops, and answers list, rename, manifest, delete and storage in order', async () => {
    const { client, tap, block } = setup();
    const events: string[] = [];
    client.events.on('started', ({ id }) => events.push(`started ${id}`));
    client.events.on('stopped', ({ id, reason }) => events.push(`stopped ${id} ${reason}`));

    const started = client.start(TAKE, { tapPort: tap.port2, netPort: null }, ANCHOR);
    expect(client.recording).toBe(false);
    block(480);
    // Take sample 0 is context frame 480: 10 ms after the anchor.
    await expect(started).resolves.toEqual({ startEpochMs: 5_010 });
    expect(client.recording).toBe(true);
    await expect(client.start(TAKE, { tapPort: tap.port2, netPort: null }, ANCHOR)).rejects.toThrow(
      /already being recorded/,
    );
    block(960);

    const [listed, manifest] = await Promise.all([client.list(), client.manifest('take-1')]);
    expect(listed).toEqual([
      expect.objectContaining({ id: 'take-1', state: 'recording', unfinished: false }),
    ]);
    expect(manifest.state).toBe('recording');

    const stopped = await client.stop();
    expect(stopped).toMatchObject({
      id: 'take-1',
      state: 'complete',
      stopReason: 'stopped',
      durationFrames: 960,
    });
    expect(client.recording).toBe(false);
    expect(events).toEqual(['started take-1', 'stopped take-1 stopped']);

    await client.rename('take-1', 'Blues in A');
    const [renamed, storage] = await Promise.all([client.manifest('take-1'), client.storage()]);
    expect(renamed.name).toBe('Blues in A');
    expect(storage).toMatchObject({ persisted: false, usage: expect.any(Number) });
    await expect(client.recover('take-1')).resolves.toMatchObject({ state: 'complete' });
    await client.delete('take-1');
    await expect(client.list()).resolves.toEqual([]);
    await expect(client.manifest('take-1')).rejects.toThrow('This take no longer exists.');
    await expect(client.rename('nope', 'x')).rejects.toThrow('This take no longer exists.');
  });

  it('rejects start with a message a person understands when storage is low', async () => {
    const { client, tap } = setup(async () => ({ usage: 0, quota: 1024 * 1024 }));
    await expect(client.start(TAKE, { tapPort: tap.port2, netPort: null }, ANCHOR)).rejects.toThrow(
      /Not enough storage to record: 1 MB free/,
    );
    expect(client.recording).toBe(false);
    await expect(client.stop()).rejects.toThrow(/No take is being recorded/);
  });

  it('dispose finishes the take, rejects what waits, and is idempotent', async () => {
    const { client, tap, block, worker } = setup();
    const started = client.start(TAKE, { tapPort: tap.port2, netPort: null }, ANCHOR);
    block(0);
    await started;
    const listing = client.list();
    client.dispose();
    client.dispose();
    await expect(listing).rejects.toThrow('The recorder was closed.');
    await expect(client.list()).rejects.toThrow('The recorder was closed.');
    await new Promise((resolve) => setImmediate(resolve));
    expect(worker().core.recordingId).toBeNull();
  });
});
