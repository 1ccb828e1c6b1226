/**
 * RecordingSession: recording in one studio visit, as glue. It owns the RecorderClient (the recorder
 * Worker and its takes in this browser's private storage) and the ExportClient, and drives one take
 * at a time:
 *
 *   start: our permission (the relay's word: the ticket's `rec`, later changes) → enough storage →
 *   tell the relay we record and wait until it attests it (everyone sees it before a sample is
 *   written) → open the record ports of StudioAudio → RecorderClient.start → declare the tracks
 *   (`mix`, `self`, one per remote *user*, keyed by attested user id, with every peer id that user had
 *   during the take, so a reconnect continues the same stem) → a clock anchor every second.
 *   stop (the player, storage full, an error, the relay refusing, audio stopping, leaving, page hide):
 *   stop the recorder, tell the relay, close the record ports.
 *
 * Who records is what the relay says (`peer-recording`, `subscribed`), never what a peer says. Only
 * this module knows whether we record; components read `status` and `recorders()` (a 'change' event
 * says when either moved). dispose() stops a running take and releases everything, once.
 */
import type { Roster } from '../net/roster';
import type { AttestedPeer } from '../protocol/attested';
import { RECORDING_NOT_ALLOWED_MESSAGE as REFUSED } from '../protocol/errors';
import {
  MIN_FREE_BYTES,
  BACKING_TRACK,
  MIX_TRACK,
  SELF_TRACK,
  remoteTrackId,
  type ClockAnchor,
  type StorageInfo,
  type TakeManifest,
  type TakeStart,
  type TakeSummary,
  type TrackInfo,
} from '../protocol/recording';
import { Emitter } from '../util/emitter';
import type { Participant, Participants } from './participants';

/** What RecordingSession uses of RecorderClient (src/lib/recording/recorder-client.ts). */
export interface RecorderApi {
  readonly events: Emitter<{
    started: { id: string; startEpochMs: number };
    progress: { id: string; durationFrames: number; bytes: number; tracks: number };
    stopped: { id: string; reason: 'stopped' | 'storage-full' | 'error' | 'crashed'; message?: string };
    error: { request?: string; message: string };
  }>;
  start(
    take: TakeStart,
    ports: { tapPort: MessagePort; netPort: MessagePort | null },
    clock: ClockAnchor,
  ): Promise<{ startEpochMs: number }>;
  track(info: TrackInfo, sourceKeys: string[]): void;
  clock(anchor: ClockAnchor): void;
  stop(): Promise<TakeManifest>;
  list(): Promise<TakeSummary[]>;
  rename(id: string, name: string): Promise<unknown>;
  delete(id: string): Promise<unknown>;
  recover(id: string): Promise<TakeManifest>;
  manifest(id: string): Promise<TakeManifest>;
  storage(): Promise<StorageInfo>;
  dispose(): void;
}

export interface ExportOptions {
  format: 'wav' | 'opus';
  what: 'mix' | 'stems' | 'all';
  silenceConcealed?: boolean;
}

/** What RecordingSession uses of ExportClient (src/lib/recording/export-client.ts). */
export interface ExporterApi {
  export(
    takeId: string,
    options: ExportOptions,
    onProgress: (fraction: number) => void,
    signal?: AbortSignal,
  ): Promise<File>;
  dispose(): void;
}

/** What RecordingSession uses of StudioAudio. */
export interface RecordingAudio {
  readonly state: { kind: string };
  readonly settings: { channels: 1 | 2 };
  readonly events: { on(event: 'state', listener: (state: { kind: string }) => void): () => void };
  openRecordPorts(): { tapPort: MessagePort; netPort: MessagePort | null; clock: ClockAnchor } | null;
  closeRecordPorts(): void;
  clockAnchor(): ClockAnchor | null;
}

export type RecordingPhase = 'idle' | 'starting' | 'recording' | 'stopping';

export interface RecordingStatus {
  phase: RecordingPhase;
  /** The take being recorded (or last recorded in this visit). */
  takeId: string | null;
  /** Local epoch ms of the take's first sample; null before it started. */
  startEpochMs: number | null;
  durationFrames: number;
  bytes: number;
  /** Whether the relay lets us record now (the studio's "Recording allowed" and our role). */
  mayRecord: boolean;
  /** The relay admitted us (until then `mayRecord` is unknown and false). */
  admitted: boolean;
  /** Why the last start failed or the last take ended early, in words; null when all went well. */
  problem: string | null;
  /**
   * Players heard during this take whose audio reaches us as a WebRTC track (the fallback path): the
   * recorder gets no decoded frames for them, so they have no stem.
   */
  noStem: string[];
}

export interface Recorder {
  peerId: string;
  userId: string;
  name: string;
  self: boolean;
}

export interface RecordingSessionEvents extends Record<string, unknown> {
  /** `status` or `recorders()` changed. */
  change: void;
  /** A take ended and was written: the take list changed. */
  'take-ended': { id: string; reason: string };
}

export interface RecordingSessionOptions {
  recorder: RecorderApi;
  /** Created on the first export (it starts a Worker). */
  createExporter: () => ExporterApi;
  audio: RecordingAudio;
  participants: Participants;
  /** Who is in the room and who records, as the relay attests it (the session feeds it). */
  roster: Pick<Roster, 'self' | 'recorders' | 'events'>;
  /** Whether the relay lets us record now (the ticket's `rec`, later changes of the setting). */
  mayRecord(): boolean;
  /** Tells the relay we record or stopped; false when not connected (nothing was sent). */
  setRecording(on: boolean): boolean;
  studio: TakeStart['studio'];
  /** How long to wait for the relay to attest our recording before giving up, ms. */
  announceTimeoutMs?: number;
  clockIntervalMs?: number;
  now?: () => number;
}

/** The take would not start: the message says why, for the player. */
export class RecordingRefused extends Error {}

export class RecordingSession {
  readonly events = new Emitter<RecordingSessionEvents>();
  readonly #o: RecordingSessionOptions;
  readonly #now: () => number;
  #status: RecordingStatus = {
    phase: 'idle',
    takeId: null,
    startEpochMs: null,
    durationFrames: 0,
    bytes: 0,
    mayRecord: false,
    admitted: false,
    problem: null,
    noStem: [],
  };
  /** Remote users declared in the current take: their peer ids so far. */
  readonly #users = new Map<string, { info: TrackInfo; keys: string[] }>();
  #clockTimer: ReturnType<typeof setInterval> | null = null;
  #backingTitle: () => string | null = () => null;
  /** The backing stem's name as last declared to the recorder. */
  #backingName: string | null = null;
  /** Settles the wait for the relay's attestation of our recording (true: attested). */
  #announced: ((attested: boolean | string) => void) | null = null;
  /** We told the relay we record (and have not said stop since). */
  #announcedOn = false;
  /** StudioAudio's record ports are open for our take. */
  #portsOpen = false;
  #exporter: ExporterApi | null = null;
  readonly #offs: Array<() => void> = [];
  #disposed = false;

  constructor(options: RecordingSessionOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    const { recorder, participants, audio, roster } = options;
    this.#status = { ...this.#status, mayRecord: options.mayRecord(), admitted: roster.self !== null };
    this.#offs.push(
      roster.events.on('recording', ({ peer, on }) => {
        if (peer.peerId === roster.self?.peerId) {
          if (on) this.#settleAnnounce(true);
          else if (this.#attested()) {
            void this.stop('The relay no longer shows you as recording, so the take was stopped.');
          }
        }
        this.#changed();
      }),
      roster.events.on('reset', () => this.#set({ admitted: true, mayRecord: options.mayRecord() })),
      roster.events.on('left', () => this.#changed()),
      recorder.events.on('progress', ({ id, durationFrames, bytes }) => {
        if (id !== this.#status.takeId || this.#status.phase === 'idle') return;
        this.#set({ durationFrames, bytes });
      }),
      recorder.events.on('stopped', ({ id, reason, message }) => {
        // Ours (stop() is finishing it) or an old one: nothing to do here.
        if (id !== this.#status.takeId || this.#status.phase === 'idle' || this.#status.phase === 'stopping')
          return;
        // The Worker ended the take itself (storage full, a write error): finish our side.
        this.#finish(reason === 'stopped' ? null : describeStop(reason, message));
        this.events.emit('take-ended', { id, reason });
      }),
      participants.events.on('joined', (p) => this.#declareRemote(p)),
      participants.events.on('change', ({ peerId, field }) => {
        if (field === 'route') this.#noteRoute(participants.get(peerId));
      }),
      audio.events.on('state', (state) => {
        if (state.kind !== 'on' && this.#status.phase === 'recording') {
          void this.stop('Audio stopped, so the take was stopped.');
        }
      }),
    );
  }

  get status(): RecordingStatus {
    return this.#status;
  }

  /** Everyone recording now, as the relay attests it (us first). */
  recorders(): Recorder[] {
    const selfId = this.#o.roster.self?.peerId;
    return this.#o.roster.recorders().map((p) => ({
      peerId: p.peerId,
      userId: p.userId,
      name: p.name || 'A player',
      self: p.peerId === selfId,
    }));
  }

  // ---- what the relay says (wired by the studio session) -----------------------------------------

  /** Whether we may record changed (the owner changed the setting, or our role changed). */
  relayPermission(allowed: boolean): void {
    this.#status = { ...this.#status, mayRecord: allowed };
    if (!allowed && this.#status.phase !== 'idle') void this.stop(REFUSED);
    this.#changed();
  }

  /** The relay refused our `recording` (not allowed): no take starts, a running one stops. */
  relayRefused(message: string): void {
    this.#status = { ...this.#status, mayRecord: false };
    const attested = this.#attested();
    this.#settleAnnounce(message);
    if (attested) void this.stop(message);
    this.#changed();
  }

  // ---- takes -----------------------------------------------------------------------------------

  /**
   * Starts a take; resolves once the recorder writes. Throws RecordingRefused (with a sentence) when
   * it cannot start; the same sentence is in `status.problem`.
   */
  async start(): Promise<void> {
    if (this.#disposed || this.#status.phase !== 'idle') return;
    const self = this.#o.roster.self;
    this.#set({
      phase: 'starting',
      takeId: null,
      problem: null,
      noStem: [],
      durationFrames: 0,
      bytes: 0,
      startEpochMs: null,
    });
    try {
      if (!self) throw new RecordingRefused('Not connected to the studio yet: wait a moment and try again.');
      if (!this.#status.mayRecord) throw new RecordingRefused(REFUSED);
      if (this.#o.audio.state.kind !== 'on')
        throw new RecordingRefused('Start audio first: a take records what you play and hear.');
      const storage = await this.#o.recorder.storage();
      const free = freeBytes(storage);
      if (free !== null && free < MIN_FREE_BYTES) {
        throw new RecordingRefused(
          `Only ${Math.floor(free / 1024 ** 2)} MB of browser storage is left; delete takes you exported to make room before recording.`,
        );
      }
      await this.#announce();
      const ports = this.#o.audio.openRecordPorts();
      if (!ports) throw new RecordingRefused('Start audio first: a take records what you play and hear.');
      this.#portsOpen = true;
      const take = this.#takeStart(self);
      this.#set({ takeId: take.id });
      const started = this.#o.recorder.start(take, ports, ports.clock);
      this.#declareAll(self);
      const { startEpochMs } = await started;
      // stop() or dispose() may have run meanwhile (TS narrowed the phase before the await).
      if (this.#disposed || (this.#status.phase as RecordingPhase) !== 'starting') return;
      this.#clockTimer = setInterval(() => {
        const anchor = this.#o.audio.clockAnchor();
        if (anchor) this.#o.recorder.clock(anchor);
        this.#declareBacking(false);
      }, this.#o.clockIntervalMs ?? 1000);
      this.#set({ phase: 'recording', startEpochMs });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#finish(message);
      throw error instanceof RecordingRefused ? error : new RecordingRefused(message);
    }
  }

  /** Stops the take (the player's Stop, or `problem` when something else ended it). */
  async stop(problem: string | null = null): Promise<TakeManifest | null> {
    const phase = this.#status.phase;
    if (phase === 'idle' || phase === 'stopping') return null;
    if (phase === 'starting') {
      // Not written yet: give up the start (the recorder may have begun; stop it too).
      this.#settleAnnounce(problem ?? 'The take was cancelled before it started.');
    }
    const id = this.#status.takeId;
    this.#set({ phase: 'stopping', problem });
    let manifest: TakeManifest | null = null;
    try {
      if (id) manifest = await this.#o.recorder.stop();
    } catch (error) {
      problem ??= `The take could not be closed cleanly (${error instanceof Error ? error.message : String(error)}); it can be recovered from the take list.`;
    }
    this.#finish(problem);
    if (id) this.events.emit('take-ended', { id, reason: problem ? 'error' : 'stopped' });
    return manifest;
  }

  list(): Promise<TakeSummary[]> {
    return this.#o.recorder.list();
  }
  rename(id: string, name: string): Promise<unknown> {
    return this.#o.recorder.rename(id, name);
  }
  delete(id: string): Promise<unknown> {
    return this.#o.recorder.delete(id);
  }
  recover(id: string): Promise<TakeManifest> {
    return this.#o.recorder.recover(id);
  }
  manifest(id: string): Promise<TakeManifest> {
    return this.#o.recorder.manifest(id);
  }
  storage(): Promise<StorageInfo> {
    return this.#o.recorder.storage();
  }

  /** Exports a take (zip: audio, Reaper and Audacity session files, manifest). */
  export(
    takeId: string,
    options: ExportOptions,
    onProgress: (f: number) => void,
    signal?: AbortSignal,
  ): Promise<File> {
    if (this.#disposed) return Promise.reject(new Error('The studio was left.'));
    this.#exporter ??= this.#o.createExporter();
    return this.#exporter.export(takeId, options, onProgress, signal);
  }

  dispose(): void {
    if (this.#disposed) return;
    const recorder = this.#o.recorder;
    const running = this.#status.phase !== 'idle';
    // Leaving or hiding the page: end the take (what was flushed is safe either way; recovery gets the
    // rest of an unclean end), and tell the relay before the session closes the socket.
    const stopped = running ? recorder.stop().catch(() => null) : Promise.resolve(null);
    if (running) this.#finish(null);
    this.#disposed = true;
    for (const off of this.#offs) off();
    this.#exporter?.dispose();
    this.#exporter = null;
    // The Worker finishes the stop before it goes (bounded: a hung stop does not keep it alive).
    const timeout = new Promise((resolve) => setTimeout(resolve, 3000));
    void Promise.race([stopped, timeout]).then(() => recorder.dispose());
    this.events.clear();
  }

  // ---- internals -------------------------------------------------------------------------------

  /** Tells the relay and waits for its attestation (our own `peer-recording`) or its refusal. */
  async #announce(): Promise<void> {
    // Always asked and answered: after a quick Stop/Record the relay's 'off' comes first, then its 'on'.
    const answer = new Promise<boolean | string>((resolve) => (this.#announced = resolve));
    const timer = setTimeout(() => this.#settleAnnounce(false), this.#o.announceTimeoutMs ?? 5000);
    this.#announcedOn = this.#o.setRecording(true);
    if (!this.#announcedOn) {
      this.#settleAnnounce(
        'Not connected to the relay: the others could not be told, so nothing was recorded.',
      );
    }
    const result = await answer;
    clearTimeout(timer);
    if (result === true) return;
    this.#unannounce();
    throw new RecordingRefused(
      typeof result === 'string'
        ? result
        : 'The relay did not confirm the recording to the others in time, so nothing was recorded. Try again.',
    );
  }

  /**
   * A take the relay confirmed is running or starting (an 'off' or a refusal now ends it). Before the
   * confirmation, an 'off' is the answer to our previous take's stop, and a refusal ends the wait.
   */
  #attested(): boolean {
    const phase = this.#status.phase;
    return phase === 'recording' || (phase === 'starting' && this.#announcedOn && this.#announced === null);
  }

  #unannounce(): void {
    if (this.#announcedOn) this.#o.setRecording(false);
    this.#announcedOn = false;
  }

  #settleAnnounce(result: boolean | string): void {
    const resolve = this.#announced;
    this.#announced = null;
    resolve?.(result);
  }

  #takeStart(self: AttestedPeer): TakeStart {
    const now = new Date(this.#now());
    const pad = (n: number) => String(n).padStart(2, '0');
    const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
    const random = Math.floor(Math.random() * 0x10000)
      .toString(16)
      .padStart(4, '0');
    return {
      id: `take-${stamp}-${random}`,
      name: `${this.#o.studio.name} ${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}`,
      studio: this.#o.studio,
      recordedBy: { userId: self.userId, name: self.name },
    };
  }

  #declareAll(self: AttestedPeer): void {
    this.#users.clear();
    const recorder = this.#o.recorder;
    recorder.track(
      { id: MIX_TRACK, kind: 'mix', userId: null, name: 'Mix', instrument: '', channels: 2 },
      [],
    );
    recorder.track(
      {
        id: SELF_TRACK,
        kind: 'self',
        userId: self.userId,
        name: self.name,
        instrument: self.instrument,
        channels: this.#o.audio.settings.channels,
      },
      [],
    );
    for (const p of this.#o.participants.list()) this.#declareRemote(p);
    this.#declareBacking(true);
  }

  /**
   * Where the backing stem's name comes from: the title of the track the transport plays (the list of
   * titles lives in the page's state). Read at the take's start and once a second during it.
   */
  nameBackingTrack(title: () => string | null): void {
    this.#backingTitle = title;
  }

  /** Declares the backing stem's name, when it changed (a track started mid-take, another one loaded). */
  #declareBacking(always: boolean): void {
    const title = this.#backingTitle()?.trim() || null;
    const name = title ? `Backing track: ${title}`.slice(0, 200) : 'Backing track';
    if (!always && name === this.#backingName) return;
    this.#backingName = name;
    this.#o.recorder.track(
      { id: BACKING_TRACK, kind: 'backing', userId: null, name, instrument: '', channels: 2 },
      [],
    );
  }

  /**
   * One stem per user: a second visit or a reconnect (new peer id, same attested user) adds its peer
   * id to the user's track, so the stem continues where it left off.
   */
  #declareRemote(p: Participant): void {
    const phase = this.#status.phase;
    if (phase !== 'starting' && phase !== 'recording') return;
    const { userId, peerId, name, instrument } = p.identity;
    if (userId === this.#o.roster.self?.userId) return; // our own second tab is not a stem of this take
    let trackId: string;
    try {
      trackId = remoteTrackId(userId);
    } catch {
      return; // an id no file can be named for: the relay's attestation would never carry one
    }
    const known = this.#users.get(userId);
    if (known?.keys.includes(peerId)) return;
    const keys = [...(known?.keys ?? []), peerId];
    const info: TrackInfo = known?.info ?? {
      id: trackId,
      kind: 'remote',
      userId,
      name,
      instrument,
      // At most stereo: the recorder sizes the file by the sender's first frames (mono stays mono).
      channels: 2,
    };
    this.#users.set(userId, { info, keys });
    this.#o.recorder.track(info, keys);
    this.#noteRoute(p);
  }

  #noteRoute(p: Participant | undefined): void {
    const phase = this.#status.phase;
    if (!p || p.route !== 'track' || (phase !== 'starting' && phase !== 'recording')) return;
    const name = p.identity.name || 'A player';
    if (!this.#status.noStem.includes(name)) this.#set({ noStem: [...this.#status.noStem, name] });
  }

  /** Our side of a take's end: timers, the relay, the ports. Idempotent. */
  #finish(problem: string | null): void {
    if (this.#clockTimer) clearInterval(this.#clockTimer);
    this.#clockTimer = null;
    this.#settleAnnounce(problem ?? false);
    if (this.#portsOpen) this.#o.audio.closeRecordPorts();
    this.#portsOpen = false;
    this.#unannounce();
    this.#users.clear();
    this.#set({ phase: 'idle', problem });
  }

  #set(patch: Partial<RecordingStatus>): void {
    this.#status = { ...this.#status, ...patch };
    this.#changed();
  }

  #changed(): void {
    if (!this.#disposed) this.events.emit('change', undefined);
  }
}

function describeStop(reason: string, message: string | undefined): string {
  switch (reason) {
    case 'storage-full':
      return 'Browser storage ran out, so the take was stopped. Everything recorded until then is kept.';
    case 'crashed':
      return 'The recorder stopped unexpectedly; the take can be recovered from the take list.';
    default:
      return `The take stopped because of an error${message ? `: ${message}` : ''}. What was written is kept.`;
  }
}

export function freeBytes(storage: StorageInfo): number | null {
  return storage.usage === null || storage.quota === null ? null : Math.max(0, storage.quota - storage.usage);
}
