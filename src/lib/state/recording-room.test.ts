/**
 * RecordingRoom over a real RecordingSession, RecorderClient and RecorderCore (the recorder Worker and
 * OPFS are stood in, as in recording-session.test.ts: Node has neither), for what it adds: the take
 * list newest first, storage figures, the low-storage warning, and the storage estimate in minutes.
 */
import { describe, expect, it } from 'vitest';
import { MemoryLocks, MemoryOpfs } from '../../../tests/support/opfs-memory';
import { Roster } from '../net/roster';
import type { FromRecorder, ToRecorder } from '../protocol/recording';
import { RecorderClient } from '../recording/recorder-client';
import { RecorderCore } from '../recording/recorder-core';
import { Participants } from '../session/participants';
import { RecordingSession } from '../session/recording-session';
import { Emitter } from '../util/emitter';
import { LOW_STORAGE_MINUTES, RecordingRoom, minutesLeft } from './recording-room.svelte';

/** The browser's Worker, in this thread: the real RecorderCore behind postMessage/onmessage. */
class CoreWorker {
  onmessage: ((event: MessageEvent<FromRecorder>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  readonly core: RecorderCore;
  constructor(fs: MemoryOpfs) {
    this.core = new RecorderCore(
      {
        root: fs.getDirectory,
        estimate: fs.estimate,
        persisted: async () => false,
        locks: new MemoryLocks().tab(),
      },
      (message) => queueMicrotask(() => this.onmessage?.({ data: message } as MessageEvent<FromRecorder>)),
    );
  }
  postMessage(message: ToRecorder) {
    this.core.handle(message);
  }
  terminate() {
    this.core.dispose();
  }
}

function room(fs: MemoryOpfs, players = 3) {
  const roster = new Roster();
  const participants = new Participants({ roster });
  const session = new RecordingSession({
    recorder: new RecorderClient(() => new CoreWorker(fs) as unknown as Worker),
    createExporter: () => {
      throw new Error('no export here');
    },
    audio: {
      state: { kind: 'off' },
      settings: { channels: 1 },
      events: new Emitter<{ state: { kind: string } }>(),
      openRecordPorts: () => null,
      closeRecordPorts: () => undefined,
      clockAnchor: () => null,
    },
    participants,
    roster,
    mayRecord: () => false,
    setRecording: () => false,
    studio: { id: 's1', slug: 'band', name: 'Band' },
  });
  const state = new RecordingRoom(session, { players: () => players, pb: null, studioId: 's1' });
  return { state, session, dispose: () => (state.dispose(), session.dispose(), participants.dispose()) };
}

/** A finished take as the recorder leaves it: its manifest in the take's directory. */
async function putTake(fs: MemoryOpfs, id: string, startedAt: string) {
  const root = await fs.getDirectory();
  const takes = await root.getDirectoryHandle('bandmesh-takes', { create: true });
  const dir = await takes.getDirectoryHandle(id, { create: true });
  const handle = await (await dir.getFileHandle('take.json', { create: true })).createSyncAccessHandle();
  const manifest = {
    version: 1,
    id,
    name: `Take ${id}`,
    studio: { id: 's1', slug: 'band', name: 'Band' },
    recordedBy: { userId: 'me', name: 'Ana' },
    startedAt,
    startEpochMs: Date.parse(startedAt),
    startContextFrame: 0,
    sampleRate: 48_000,
    state: 'complete',
    durationFrames: 48_000,
    tracks: [],
    sequence: 1,
  };
  handle.write(new TextEncoder().encode(JSON.stringify(manifest)), { at: 0 });
  handle.flush();
  handle.close();
}

describe('RecordingRoom', () => {
  it('estimates the minutes storage holds from the players present', () => {
    // 3 players, mono microphone: mix 2 + self 1 + two remote stereo stems = 7 float32 channels.
    expect(minutesLeft(7 * 4 * 48_000 * 60 * 10, 3, 1)).toBe(10);
    expect(minutesLeft(7 * 4 * 48_000 * 60 * 10 - 1, 3, 1)).toBe(9);
    expect(minutesLeft(5 * 4 * 48_000 * 60, 1, 1) > 0).toBe(true);
  });

  it('lists takes newest first with the storage figures, and warns when little is left', async () => {
    const fs = new MemoryOpfs();
    await putTake(fs, 'take-a', '2026-12-07T10:00:00.000Z');
    await putTake(fs, 'take-b', '2026-12-07T12:00:00.000Z');
    const { state, dispose } = room(fs);
    expect(state.takesLoaded).toBe(false);
    await state.refresh();
    expect(state.takesLoaded).toBe(true);
    expect(state.takes.map((t) => t.id)).toEqual(['take-b', 'take-a']);
    expect(state.storage).toMatchObject({ quota: 10 * 1024 ** 3, persisted: false });
    expect(state.lowStorage).toBe(false);
    dispose();

    const tight = new MemoryOpfs({ quotaBytes: 7 * 4 * 48_000 * 60 * (LOW_STORAGE_MINUTES - 1) });
    const small = room(tight);
    await small.state.refresh();
    expect(small.state.minutesLeft).toBeLessThan(LOW_STORAGE_MINUTES);
    expect(small.state.lowStorage).toBe(true);
    small.dispose();
  });
});
