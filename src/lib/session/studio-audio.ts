/**
 * The audio side of one studio visit, as composition: starts and stops the engine, gives each remote
 * participant its audio source (slot) in the Worker, keeps the engine's personal mix in step with this
 * player's mix in the shared MixerDoc, and answers per-player questions for the UI (level, path,
 * estimated delay) from the participants' records (participants.ts) — never from its own maps.
 * The session owns it; dispose() stops everything once.
 * For recording it keeps the Worker told of our capture clock (once a second while audio runs, so peers
 * can place our frames at capture time) and hands a recorder its two ports (`openRecordPorts`).
 * Pairs that cannot both use the data path (or are forced off it) use a WebRTC audio track instead:
 * see TrackPaths; the personal mix covers both kinds of peer.
 */
import type { EffectSettings } from '../protocol/effects';
import type { AudioNetClient } from '../audio/audio-net-client';
import { AudioEngine, type AudioEngineOptions } from '../audio/engine';
import type { Impairment, TransportCodec } from '../protocol/audio-worker';
import type { ClockAnchor } from '../protocol/recording';
import { DEFAULT_SOURCE_MIX, type MixerDoc } from '../sync/mixer-doc';
import type { AudioPath } from '../sync/presence';
import { Emitter } from '../util/emitter';
import { diagnosticsRow, type AudioDiagnostics } from './audio-diagnostics';
import { advertisedPaths, detectDataPath } from './audio-paths';
import {
  dbToGain,
  DEFAULT_AUDIO_SETTINGS,
  inputOptionsFor,
  sendSettingsFor,
  type AudioSettings,
} from './audio-settings';
import { FrameSizePolicy } from './frame-size-policy';
import type { Participant, Participants } from './participants';
import { participantDelayMs, pathOfVisits, type RemotePath } from './remote-audio';
import { TrackPaths, type TrackLink } from './track-paths';

export type { RemotePath } from './remote-audio';

export interface AudioAssets {
  workletUrls: { capture: string; playback: string; detector: string; recordTap: string };
}

/** How often our capture anchor goes to the Worker (its clock pongs carry the latest). */
const CAPTURE_ANCHOR_INTERVAL_MS = 1000;

export type AudioState =
  | { kind: 'off' }
  | { kind: 'starting' }
  | { kind: 'on'; codec: TransportCodec; shared: boolean }
  | { kind: 'error'; message: string };

export interface StudioAudioEvents extends Record<string, unknown> {
  state: AudioState;
  /** Benchmark: `contextFrame` only for our own captured impulses (the exact frame they entered). */
  impulse: { peerId?: string; epochMs: number; contextFrame?: number };
  /** Benchmark: a click passed our audio Worker (`sent`), or a peer's click reached it (`received`). */
  stage: { stage: 'sent' | 'received'; peerId?: string; epochMs: number };
  /** The audio paths this player can use changed: advertise them in presence. */
  paths: AudioPath[];
  /** Our audio started (true) or stopped (false): advertise it in presence (`audioOn`). */
  sending: boolean;
}

/** Records with a slot (the rest have no audio source yet). */
const withSlot = (p: Participant): p is Participant & { slot: number } => p.slot !== null;

export class StudioAudio {
  readonly events = new Emitter<StudioAudioEvents>();
  readonly #net: AudioNetClient;
  readonly #mixer: MixerDoc;
  readonly #me: string;
  readonly #participants: Participants;
  readonly #startEngine: (options: AudioEngineOptions) => Promise<AudioEngine>;
  readonly #assets: AudioAssets;
  readonly #benchmark: boolean;
  readonly #impairment: Impairment | null;
  #engine: AudioEngine | null = null;
  #effects: EffectSettings | null = null;
  #state: AudioState = { kind: 'off' };
  #sending = false;
  #settings: AudioSettings = DEFAULT_AUDIO_SETTINGS;
  #codec: TransportCodec | null = null;
  #lastError: string | null = null;
  #policy: FrameSizePolicy | null = null;
  /** The player's input gain and "Mute me", kept across stop/start (a new engine starts at unity). */
  #input = { gainDb: 0, muted: false };
  /** Round trip to the relay's SFU (the Worker's pings on the SFU channel); null without one. */
  #relayRttMs: number | null = null;
  readonly #tracks: TrackPaths;
  readonly #forceTrack: boolean;
  /** Null until detection finishes (the data path is assumed meanwhile). */
  #dataCapable: boolean | null = null;
  readonly #offs: Array<() => void> = [];
  #anchorTimer: ReturnType<typeof setInterval> | null = null;
  /** A record port was given to the Worker (and not yet taken back). */
  #recording = false;
  #disposed = false;

  constructor(options: {
    net: AudioNetClient;
    mixer: MixerDoc;
    me: string;
    participants: Participants;
    assets: AudioAssets;
    benchmark?: boolean;
    impairment?: Impairment | null;
    /** Use the track path with every peer, whatever the settings say. */
    forceTrack?: boolean;
    /** Tests: stands in for AudioEngine.start (no AudioContext in Node). */
    startEngine?: (options: AudioEngineOptions) => Promise<AudioEngine>;
  }) {
    this.#net = options.net;
    this.#mixer = options.mixer;
    this.#me = options.me;
    this.#participants = options.participants;
    this.#startEngine = options.startEngine ?? ((o) => AudioEngine.start(o));
    this.#assets = options.assets;
    this.#benchmark = options.benchmark === true;
    this.#impairment = options.impairment ?? null;
    this.#forceTrack = options.forceTrack === true;
    this.#tracks = new TrackPaths({
      net: this.#net,
      participants: this.#participants,
      onChange: () => this.applyMix(),
    });
    // A participant gets its source (slot) as it joins; its links' channels attach to it.
    for (const p of this.#participants.list()) this.#addSource(p.identity.peerId);
    void detectDataPath().then((capable) => {
      if (this.#disposed) return;
      this.#dataCapable = capable;
      this.#advertise();
    });
    this.#offs.push(
      this.#mixer.subscribe(() => this.applyMix()),
      this.#participants.events.on('joined', (p) => this.#addSource(p.identity.peerId)),
      this.#participants.events.on('left', ({ participant }) => {
        this.#net.removeSource(participant.identity.peerId);
        // A slot came free: a participant who found none (a full room) gets it now.
        for (const p of this.#participants.list()) if (p.slot === null) this.#addSource(p.identity.peerId);
      }),
      this.#participants.events.on('change', ({ field }) => {
        // What changes a pair's path or mix; route, receiver and stats are written by us and TrackPaths.
        if (field === 'identity' || field === 'audio' || field === 'slot' || field === 'left') {
          this.#tracks.reconcile();
          this.applyMix();
        }
      }),
      this.#net.events.on('source-added', ({ sourceKey }) => this.#tracks.resendPath(sourceKey)),
      this.#net.events.on('error', ({ code, message }) => {
        this.#lastError = `${code}: ${message}`;
        console.warn('audio worker', code, message);
      }),
      this.#net.events.on('stats', (stats) => {
        this.#relayRttMs = stats.sfu.rttMs;
        for (const source of stats.sources) this.#participants.setStats(source.sourceKey, source);
        this.#adaptFrameSize(stats);
      }),
      this.#net.events.on('stage', ({ stage, sourceKey, epochMs }) =>
        this.events.emit('stage', { stage, ...(sourceKey ? { peerId: sourceKey } : {}), epochMs }),
      ),
      this.#net.events.on('ready', ({ codec }) => {
        this.#codec = codec;
        if (this.#engine) this.#setState({ kind: 'on', codec, shared: this.#engine.shared });
      }),
    );
  }

  get state(): AudioState {
    return this.#state;
  }

  get settings(): AudioSettings {
    return this.#settings;
  }

  get engine(): AudioEngine | null {
    return this.#engine;
  }

  /** Input effects: sent to the running engine now and to every engine started later. */
  setEffects(settings: EffectSettings): void {
    this.#effects = settings;
    this.#engine?.setEffects(settings);
  }

  /** Whether our audio runs (frames leave for the others): the session advertises it as `audioOn`. */
  get sending(): boolean {
    return this.#sending;
  }

  /** The audio paths this player advertises (see audio-paths.ts). */
  get paths(): AudioPath[] {
    const forced = this.#forceTrack || this.#settings.transport === 'track';
    return advertisedPaths({ data: this.#dataCapable ?? true }, forced);
  }

  /** Registers a peer link for the track path; returns the function to call when it closes. */
  addLink(link: TrackLink): () => void {
    return this.#tracks.addLink(link);
  }

  /** Starts audio (call from a user gesture). Errors become the `error` state with a readable message. */
  async start(settings: AudioSettings = this.#settings): Promise<void> {
    if (this.#disposed || this.#state.kind === 'starting') return;
    this.stop();
    this.#settings = settings;
    this.#advertise();
    this.#setState({ kind: 'starting' });
    try {
      const engine = await this.#startEngine({
        net: this.#net,
        send: sendSettingsFor(settings),
        input: inputOptionsFor(settings),
        workletUrls: this.#assets.workletUrls,
        benchmark: this.#benchmark,
        impairment: this.#impairment,
      });
      if (this.#disposed) {
        engine.dispose();
        return;
      }
      this.#engine = engine;
      if (this.#effects) engine.setEffects(this.#effects);
      engine.setInputGainDb(this.#input.gainDb);
      engine.setInputMuted(this.#input.muted);
      this.#policy = new FrameSizePolicy(performance.now() / 1000);
      engine.events.on('impulse', ({ slot, epochMs, contextFrame }) => {
        const peerId = slot === undefined ? undefined : this.#bySlot(slot)?.identity.peerId;
        this.events.emit('impulse', {
          ...(peerId ? { peerId } : {}),
          ...(contextFrame === undefined ? {} : { contextFrame }),
          epochMs,
        });
      });
      engine.events.on('input', () => this.#tracks.reconcile());
      this.#tracks.setEngine(engine);
      this.#sendCaptureAnchor();
      this.#anchorTimer = setInterval(() => this.#sendCaptureAnchor(), CAPTURE_ANCHOR_INTERVAL_MS);
      this.applyMix();
      this.#setState({ kind: 'on', codec: this.#codec ?? settings.codec, shared: engine.shared });
    } catch (error) {
      this.#setState({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  }

  /** Changes settings live where possible (send settings, input); restarts nothing that plays. */
  async update(settings: AudioSettings): Promise<void> {
    const previous = this.#settings;
    this.#settings = settings;
    if (previous.transport !== settings.transport) this.#advertise();
    const engine = this.#engine;
    if (!engine) return;
    if (previous.channels !== settings.channels) {
      await this.start(settings); // the capture node's channel count is fixed: rebuild the graph
      return;
    }
    if (previous.frameMs !== settings.frameMs) {
      // Live: the capture worklet reframes, the encoder follows, receivers' jitter buffers resync.
      engine.setFrameSamples(sendSettingsFor(settings).frameSamples);
      this.#policy = new FrameSizePolicy(performance.now() / 1000);
    }
    this.#net.configure(sendSettingsFor(settings));
    if (
      previous.voiceProcessing !== settings.voiceProcessing ||
      previous.inputDeviceId !== settings.inputDeviceId
    ) {
      await engine.setInput(inputOptionsFor(settings));
    }
  }

  stop(): void {
    this.closeRecordPorts();
    if (this.#anchorTimer !== null) clearInterval(this.#anchorTimer);
    this.#anchorTimer = null;
    this.#tracks.setEngine(null);
    this.#engine?.dispose();
    this.#engine = null;
    this.#policy = null;
    if (this.#state.kind !== 'off') this.#setState({ kind: 'off' });
  }

  /**
   * Ports and the clock a recorder needs; null when audio is not running. The tap port carries the
   * microphone as captured and the mix as heard (engine.openRecordTap); the net port every remote
   * source's decoded frames (AudioNetClient.record). Opening again replaces both. They end with
   * closeRecordPorts(), and when audio stops or restarts (a channel-count change rebuilds the graph).
   */
  openRecordPorts(): { tapPort: MessagePort; netPort: MessagePort; clock: ClockAnchor } | null {
    const engine = this.#engine;
    if (!engine || this.#disposed) return null;
    const tap = new MessageChannel();
    const net = new MessageChannel();
    engine.openRecordTap(tap.port1);
    this.#net.record(net.port1);
    this.#recording = true;
    return { tapPort: tap.port2, netPort: net.port2, clock: engine.clockAnchor() };
  }

  /** Stops the tap and the Worker's forwarding (each flushes what it holds). Idempotent. */
  closeRecordPorts(): void {
    this.#engine?.closeRecordTap();
    if (!this.#recording) return;
    this.#recording = false;
    this.#net.record(null);
  }

  /** The local clock anchor (context frame ↔ epoch ms, captured-time mapping); null when audio is off. */
  clockAnchor(): ClockAnchor | null {
    return this.#engine?.clockAnchor() ?? null;
  }

  #sendCaptureAnchor(): void {
    const anchor = this.#engine?.captureAnchor();
    if (anchor) this.#net.setCaptureAnchor(anchor);
  }

  /** Pushes this player's personal mix from the MixerDoc into the engine's parameter block. */
  applyMix(): void {
    const engine = this.#engine;
    if (!engine) return;
    const mix = this.#mixer.mixFor(this.#me);
    const sources = this.#participants
      .list()
      .filter(withSlot)
      .map((p) => ({ p, source: mix.sources[p.identity.userId] ?? DEFAULT_SOURCE_MIX }));
    // Track peers keep their slot's solo flag, so the playback worklet's solo logic sees them too.
    for (const { p, source } of sources) {
      engine.setPeerParams(p.slot, {
        gain: dbToGain(source.gain),
        pan: source.pan,
        mute: source.mute,
        solo: source.solo,
      });
    }
    engine.setMonitorGain(dbToGain(mix.monitor));
    engine.setMasterGain(dbToGain(mix.master));
    // The same solo/mute truth table for track peers: any solo → only soloed heard; mute wins.
    const anySolo = sources.some(({ source }) => source.solo);
    for (const { p, source } of sources) {
      const audible = !source.mute && (!anySolo || source.solo);
      p.receiver?.setMix({
        gain: audible ? dbToGain(source.gain) * dbToGain(mix.master) : 0,
        pan: source.pan,
      });
    }
  }

  /**
   * Loudest current level among a user's visits: the track receiver's meter on the track path, the
   * playback worklet's meters otherwise.
   */
  levelOf(userId: string): { peak: number; rms: number } | null {
    const engine = this.#engine;
    if (!engine) return null;
    let best: { peak: number; rms: number } | null = null;
    for (const p of this.#participants.byUser(userId).filter(withSlot)) {
      const level = p.receiver?.level() ?? this.#slotLevel(engine, p.slot);
      if (!best || level.peak > best.peak) best = level;
    }
    return best;
  }

  #slotLevel(engine: AudioEngine, slot: number): { peak: number; rms: number } {
    const { Peak, Rms } = engine.peerStatus(slot);
    return { peak: Peak, rms: Rms };
  }

  inputLevel(): { peak: number; rms: number } | null {
    return this.#engine?.inputLevel() ?? null;
  }

  setInputGainDb(db: number): void {
    this.#input.gainDb = db;
    this.#engine?.setInputGainDb(db);
  }

  /** "Mute me": nobody hears this player (see AudioEngine.setInputMuted); kept while audio restarts. */
  setInputMuted(muted: boolean): void {
    this.#input.muted = muted;
    this.#engine?.setInputMuted(muted);
  }

  /**
   * Estimated one-way delay from a player's mouth to our ears (latency.ts), the best of its visits;
   * null while it is not measured, and for a player whose audio stopped (remote-audio.ts).
   */
  latencyOf(userId: string): number | null {
    const engine = this.#engine;
    if (!engine) return null;
    const device = engine.deviceLatencyMs();
    let best: number | null = null;
    for (const p of this.#participants.byUser(userId).filter(withSlot)) {
      const ms = participantDelayMs(p, {
        depthMs: engine.peerStatus(p.slot).DepthMs,
        device,
        relayRttMs: this.#relayRttMs,
      });
      if (ms !== null && (best === null || ms < best)) best = ms;
    }
    return best;
  }

  /**
   * How a user's audio reaches us: 'opus' or 'pcm' over the data channel, 'track' for a WebRTC audio
   * track, 'off' when it stopped, null while nothing arrived yet (remote-audio.ts).
   */
  pathOf(userId: string): RemotePath | null {
    return pathOfVisits(this.#participants.byUser(userId));
  }

  /** Benchmarks: recorded arrival traces, by peer id (only when started with `benchmark`). */
  async arrivalTraces(): Promise<Record<string, number[]>> {
    const trace = await this.#net.dumpTrace();
    return Object.fromEntries(trace.sources.map((s) => [s.sourceKey, Array.from(s.triples)]));
  }

  /** The last problem the audio Worker reported (it keeps running), for diagnostics. */
  get lastError(): string | null {
    return this.#lastError;
  }

  /** Raw per-participant counters for diagnostics and tests (audio-diagnostics.ts). */
  diagnostics(): AudioDiagnostics[] {
    const engine = this.#engine;
    return this.#participants
      .list()
      .filter(withSlot)
      .map((p) => diagnosticsRow(p, engine?.peerStatus(p.slot) ?? null));
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const off of this.#offs) off();
    this.stop();
    this.#tracks.dispose();
    this.events.clear();
  }

  #adaptFrameSize(stats: { framesCaptured: number; encoderSkipped: number }) {
    const policy = this.#policy;
    if (!policy || !this.#settings.autoFrame || this.#state.kind !== 'on') return;
    // Our frames lost for this machine being too slow: captured frames the Worker did not take in time
    // (the capture ring overflowed) and frames the encoder failed on. (Decoders skip only while they
    // load, which says nothing about speed; with the synchronous codec nothing else skips.)
    const skipped = stats.encoderSkipped + (this.#engine?.captureOverflows() ?? 0);
    const next = policy.observe(performance.now() / 1000, this.#settings.frameMs, {
      captured: stats.framesCaptured,
      skipped,
    });
    if (next !== null) void this.update({ ...this.#settings, frameMs: next });
  }

  #addSource(peerId: string): void {
    const slot = this.#net.addSource(peerId);
    if (slot !== null) this.#participants.setSlot(peerId, slot);
  }

  #bySlot(slot: number): Participant | undefined {
    return this.#participants.list().find((p) => p.slot === slot);
  }

  #advertise(): void {
    const paths = this.paths;
    this.#tracks.setLocalPaths(paths);
    this.events.emit('paths', paths);
  }

  #setState(state: AudioState): void {
    this.#state = state;
    this.events.emit('state', state);
    const sending = state.kind === 'on';
    if (sending !== this.#sending) {
      this.#sending = sending;
      this.events.emit('sending', sending);
    }
  }
}
