/**
 * The audio side of one studio visit: starts and stops the engine, keeps the engine's personal mix in
 * step with this player's mix in the shared MixerDoc, and answers per-player questions for the UI
 * (level, path, estimated one-way delay). The session owns it; dispose() stops everything once.
 * Pairs that cannot both use the data path (or are forced off it) use a WebRTC audio track instead:
 * see TrackPaths; the personal mix covers both kinds of peer.
 */
import type { AudioNetClient } from '../audio/audio-net-client';
import { AudioEngine } from '../audio/engine';
import type { InputOptions } from '../audio/devices';
import type { Impairment, TransportCodec } from '../protocol/audio-worker';
import { DEFAULT_SOURCE_MIX, type MixerDoc } from '../sync/mixer-doc';
import type { AudioPath, PresentPeer } from '../sync/presence';
import { Emitter } from '../util/emitter';
import { advertisedPaths, detectDataPath } from './audio-paths';
import { dbToGain, DEFAULT_AUDIO_SETTINGS, sendSettingsFor, type AudioSettings } from './audio-settings';
import { FrameSizePolicy } from './frame-size-policy';
import { TrackPaths, type TrackLink } from './track-paths';

export interface AudioAssets {
  workletUrls: { capture: string; playback: string; detector: string };
}

export type AudioState =
  | { kind: 'off' }
  | { kind: 'starting' }
  | { kind: 'on'; codec: TransportCodec; shared: boolean }
  | { kind: 'error'; message: string };

export interface StudioAudioEvents extends Record<string, unknown> {
  state: AudioState;
  impulse: { peerId?: string; epochMs: number };
  /** Benchmark: a click passed our audio Worker (`sent`), or a peer's click reached it (`received`). */
  stage: { stage: 'sent' | 'received'; peerId?: string; epochMs: number };
  /** The audio paths this player can use changed: advertise them in presence. */
  paths: AudioPath[];
}

/** Lookahead of Opus in CELT low-delay mode (2.5 ms); PCM has none. */
const OPUS_LOWDELAY_LOOKAHEAD_MS = 2.5;
/** The browser's Opus (track path): default mode lookahead, and the packet time we negotiate. */
const OPUS_DEFAULT_LOOKAHEAD_MS = 6.5;
const TRACK_PACKET_MS = 10;

export class StudioAudio {
  readonly events = new Emitter<StudioAudioEvents>();
  readonly #net: AudioNetClient;
  readonly #mixer: MixerDoc;
  readonly #me: string;
  readonly #presence: () => PresentPeer[];
  readonly #assets: AudioAssets;
  readonly #benchmark: boolean;
  readonly #impairment: Impairment | null;
  #engine: AudioEngine | null = null;
  #state: AudioState = { kind: 'off' };
  #settings: AudioSettings = DEFAULT_AUDIO_SETTINGS;
  #codec: TransportCodec | null = null;
  #lastError: string | null = null;
  #policy: FrameSizePolicy | null = null;
  readonly #tracks: TrackPaths;
  readonly #forceTrack: boolean;
  /** Null until detection finishes (the data path is assumed meanwhile). */
  #dataCapable: boolean | null = null;
  readonly #offs: Array<() => void> = [];
  #disposed = false;

  constructor(options: {
    net: AudioNetClient;
    mixer: MixerDoc;
    me: string;
    presence: () => PresentPeer[];
    assets: AudioAssets;
    benchmark?: boolean;
    impairment?: Impairment | null;
    /** Use the track path with every peer, whatever the settings say. */
    forceTrack?: boolean;
  }) {
    this.#net = options.net;
    this.#mixer = options.mixer;
    this.#me = options.me;
    this.#presence = options.presence;
    this.#assets = options.assets;
    this.#benchmark = options.benchmark === true;
    this.#impairment = options.impairment ?? null;
    this.#forceTrack = options.forceTrack === true;
    this.#tracks = new TrackPaths({
      net: this.#net,
      presence: this.#presence,
      onChange: () => this.applyMix(),
    });
    void detectDataPath().then((capable) => {
      if (this.#disposed) return;
      this.#dataCapable = capable;
      this.#advertise();
    });
    this.#offs.push(
      this.#mixer.subscribe(() => this.applyMix()),
      this.#net.events.on('peer-added', () => {
        this.#tracks.resendPaths();
        this.#tracks.reconcile();
        this.applyMix();
      }),
      this.#net.events.on('error', ({ code, message }) => {
        this.#lastError = `${code}: ${message}`;
        console.warn('audio worker', code, message);
      }),
      this.#net.events.on('stats', (stats) => this.#adaptFrameSize(stats)),
      this.#net.events.on('stage', ({ stage, peerKey, epochMs }) =>
        this.events.emit('stage', { stage, ...(peerKey ? { peerId: peerKey } : {}), epochMs }),
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

  /** The audio paths this player advertises (see audio-paths.ts). */
  get paths(): AudioPath[] {
    const forced = this.#forceTrack || this.#settings.transport === 'track';
    return advertisedPaths({ data: this.#dataCapable ?? true }, forced);
  }

  /** Registers a peer link for the track path; returns the function to call when it closes. */
  addLink(link: TrackLink): () => void {
    return this.#tracks.addLink(link);
  }

  /** Presence changed: pairs may change path. */
  presenceChanged(): void {
    this.#tracks.reconcile();
    this.applyMix();
  }

  /** Starts audio (call from a user gesture). Errors become the `error` state with a readable message. */
  async start(settings: AudioSettings = this.#settings): Promise<void> {
    if (this.#disposed || this.#state.kind === 'starting') return;
    this.stop();
    this.#settings = settings;
    this.#advertise();
    this.#setState({ kind: 'starting' });
    try {
      const engine = await AudioEngine.start({
        net: this.#net,
        send: sendSettingsFor(settings),
        input: this.#inputOptions(settings),
        workletUrls: this.#assets.workletUrls,
        benchmark: this.#benchmark,
        impairment: this.#impairment,
      });
      if (this.#disposed) {
        engine.dispose();
        return;
      }
      this.#engine = engine;
      this.#policy = new FrameSizePolicy(performance.now() / 1000);
      engine.events.on('impulse', ({ slot, epochMs }) => {
        const peerId = slot === undefined ? undefined : this.#peerOfSlot(slot);
        this.events.emit('impulse', { ...(peerId ? { peerId } : {}), epochMs });
      });
      engine.events.on('input', () => this.#tracks.reconcile());
      this.#tracks.setEngine(engine);
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
      await engine.setInput(this.#inputOptions(settings));
    }
  }

  stop(): void {
    this.#tracks.setEngine(null);
    this.#engine?.dispose();
    this.#engine = null;
    this.#policy = null;
    if (this.#state.kind !== 'off') this.#setState({ kind: 'off' });
  }

  /** Pushes this player's personal mix from the MixerDoc into the engine's parameter block. */
  applyMix(): void {
    const engine = this.#engine;
    if (!engine) return;
    const mix = this.#mixer.mixFor(this.#me);
    const users = new Map(this.#presence().map((p) => [p.peerId, p.userId]));
    const sources = [...this.#net.slots].map(([peerId, slot]) => {
      const userId = users.get(peerId);
      return { peerId, slot, source: (userId && mix.sources[userId]) || DEFAULT_SOURCE_MIX };
    });
    // Track peers keep their slot's solo flag, so the playback worklet's solo logic sees them too.
    for (const { slot, source } of sources) {
      engine.setPeerParams(slot, {
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
    for (const { peerId, source } of sources) {
      const audible = !source.mute && (!anySolo || source.solo);
      this.#tracks.receiver(peerId)?.setMix({
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
    for (const peerId of this.#peersOf(userId)) {
      const slot = this.#net.slots.get(peerId);
      if (slot === undefined) continue;
      const level = this.#tracks.receiver(peerId)?.level() ?? this.#slotLevel(engine, slot);
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

  /**
   * Estimated one-way delay from a player's mouth to our ears, like Jamulus's "overall delay":
   * half the RTT on the audio channel + our jitter buffer for them + one frame + codec lookahead +
   * our output device latency + their capture buffering (estimated as our own base latency).
   */
  latencyOf(userId: string): number | null {
    const engine = this.#engine;
    if (!engine) return null;
    let best: number | null = null;
    for (const peerId of this.#peersOf(userId)) {
      const trackMs = this.#tracks.networkDelayMs(peerId);
      if (trackMs !== null) {
        // Track path: NetEq's buffer (in trackMs) + one 10 ms packet + Opus's default lookahead.
        const device = engine.deviceLatencyMs();
        const ms = trackMs + TRACK_PACKET_MS + OPUS_DEFAULT_LOOKAHEAD_MS + device.output + device.base;
        best = best === null ? ms : Math.min(best, ms);
        continue;
      }
      const slot = this.#net.slots.get(peerId);
      const stats = this.#net.stats(peerId);
      if (slot === undefined || !stats || stats.rttMs === null || stats.framesReceived === 0) continue;
      const status = engine.peerStatus(slot);
      const device = engine.deviceLatencyMs();
      const codec = stats.codec === 'opus' ? OPUS_LOWDELAY_LOOKAHEAD_MS : 0;
      const ms =
        stats.rttMs / 2 + status.DepthMs + this.#settings.frameMs + codec + device.output + device.base;
      best = best === null ? ms : Math.min(best, ms);
    }
    return best;
  }

  /**
   * Which path a user's audio takes to us: 'opus' or 'pcm' over the data channel, 'track' for a WebRTC
   * audio track, or null while nothing arrived.
   */
  pathOf(userId: string): TransportCodec | 'track' | null {
    for (const peerId of this.#peersOf(userId)) {
      if (this.#tracks.receiver(peerId)) return 'track';
      if (this.#tracks.pathOf(peerId) === 'track') continue;
      const codec = this.#net.stats(peerId)?.codec;
      if (codec) return codec;
    }
    return null;
  }

  /** Benchmarks: recorded arrival traces, by peer id (only when started with `benchmark`). */
  async arrivalTraces(): Promise<Record<string, number[]>> {
    const trace = await this.#net.dumpTrace();
    return Object.fromEntries(trace.peers.map((p) => [p.peerKey, Array.from(p.triples)]));
  }

  /** The last problem the audio Worker reported (it keeps running), for diagnostics. */
  get lastError(): string | null {
    return this.#lastError;
  }

  /** Raw per-peer counters for diagnostics and tests. */
  diagnostics(): Array<{
    peerId: string;
    userId: string | null;
    slot: number;
    path: AudioPath;
    /** Track path: a remote track plays. */
    receiving: boolean;
    framesSent: number;
    framesReceived: number;
    badFrames: number;
    skippedFrames: number;
    framesDecoded: number;
    underruns: number;
    peak: number;
    /** Jitter buffer, ms: playout delay now, the depth it steers to, and audio not yet played. */
    depthMs: number;
    targetMs: number;
    bufferedMs: number;
    /** Round-trip time Worker ⇄ Worker on the audio channel, ms (null until measured). */
    rttMs: number | null;
    /** Longest concealed gap since the peer was added (jitter-buffer.ts defines a gap), ms. */
    longestGapMs: number;
    /** Gaps longer than 20 ms since the peer was added. */
    gapsOver20ms: number;
    /** Buffered frames the jitter buffer dropped to catch up (playout far too deep). */
    skips: number;
    /** The last completed second of the playback clock, and the longest gap that ended in it (ms). */
    gapSecond: number;
    lastSecondLongestGapMs: number;
  }> {
    const engine = this.#engine;
    const users = new Map(this.#presence().map((p) => [p.peerId, p.userId]));
    return [...this.#net.slots].map(([peerId, slot]) => {
      const status = engine?.peerStatus(slot);
      const stats = this.#net.stats(peerId);
      const receiver = this.#tracks.receiver(peerId);
      return {
        peerId,
        userId: users.get(peerId) ?? null,
        slot,
        path: this.#tracks.pathOf(peerId),
        receiving: receiver !== null,
        framesSent: stats?.framesSent ?? 0,
        framesReceived: stats?.framesReceived ?? 0,
        badFrames: stats?.badFrames ?? 0,
        skippedFrames: stats?.skippedFrames ?? 0,
        framesDecoded: stats?.framesDecoded ?? 0,
        underruns: status?.Underruns ?? 0,
        longestGapMs: (status?.LongestGapUs ?? 0) / 1000,
        gapsOver20ms: status?.GapsOver20ms ?? 0,
        skips: status?.Skips ?? 0,
        gapSecond: status?.GapSecond ?? 0,
        lastSecondLongestGapMs: (status?.LastSecondLongestGapUs ?? 0) / 1000,
        peak: receiver?.level().peak ?? status?.Peak ?? 0,
        depthMs: status?.DepthMs ?? 0,
        targetMs: status?.TargetMs ?? 0,
        bufferedMs: status?.BufferedMs ?? 0,
        rttMs: stats?.rttMs ?? null,
      };
    });
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

  #peersOf(userId: string): string[] {
    return this.#presence()
      .filter((p) => p.userId === userId && !p.self)
      .map((p) => p.peerId);
  }

  #peerOfSlot(slot: number): string | undefined {
    for (const [peerId, s] of this.#net.slots) if (s === slot) return peerId;
    return undefined;
  }

  #advertise(): void {
    const paths = this.paths;
    this.#tracks.setLocalPaths(paths);
    this.events.emit('paths', paths);
  }

  #inputOptions(settings: AudioSettings): InputOptions {
    return {
      deviceId: settings.inputDeviceId,
      channels: settings.channels,
      voiceProcessing: settings.voiceProcessing,
    };
  }

  #setState(state: AudioState): void {
    this.#state = state;
    this.events.emit('state', state);
  }
}
