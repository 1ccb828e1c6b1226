/**
 * The audio engine of one studio visit: AudioContext, microphone, the capture and playback worklets,
 * and the shared memory they and the network Worker use. Started on a user gesture; the session owns
 * it and calls dispose() (once) on leave.
 *
 * Data path: mic → input gain → CaptureNode → (sample ring) → Worker: encode once, send to all peers
 * → (their Workers decode into packet rings) → PlaybackNode: jitter buffers + personal mix → speakers.
 * The CaptureNode's output is the direct monitor (own input at zero network delay). Everything heard
 * goes through one mix bus to the speakers, so a recording's tap (`openRecordTap`) hears what we hear.
 * Clock anchors (`clockAnchor`, `captureAnchor`) tie context frames and our senderTimes to the epoch
 * clock, so recordings can place audio by capture time.
 * Fallback path (per pair, see session/audio-paths.ts): the microphone track itself is sent on the
 * pair's RTCPeerConnection (`inputTrack`), and remote tracks play through `receiveTrack`.
 */
import type { EffectSettings } from '../protocol/effects';
import {
  allocateAudioMemory,
  PACKET_RINGS_BYTES,
  PARAM_BYTES,
  ParamBlock,
  ParamGlobal,
  SAMPLE_RING_BYTES,
  STATUS_BYTES,
  StatusBlock,
  StatusFloat,
  StatusInt,
  type PeerParams,
  type PeerStatus,
} from '../protocol/audio-layout';
import { AUDIO_SAMPLE_RATE } from '../protocol/audio-frame';
import type { Impairment, SendSettings } from '../protocol/audio-worker';
import type { CaptureAnchor } from '../protocol/link-ping';
import type { BackingPlayMessage, MetronomeMessage } from '../protocol/audio-worklet';
import type { ClockAnchor } from '../protocol/recording';
import { Emitter } from '../util/emitter';
import type { AudioNetClient } from './audio-net-client';
import { ContextClock } from './context-clock';
import { loadWorklets, whenRunning } from './context-start';
import { openInput, type InputOptions } from './devices';
import { CaptureNode, PlaybackNode } from './nodes';
import { createOutputClock, outputReadsMayBlock, type OutputClock } from './output-clock';
import { RecordTapNode } from './record-tap-node';
import { SendTrack, sendsProcessed } from './send-track';
import { TrackReceiver } from './track-receiver';

/** How often the output timestamp is read for the smoothed clock. */
const CLOCK_READ_MS = 250;

export interface AudioEngineEvents extends Record<string, unknown> {
  /**
   * Benchmark: an impulse entered our capture (`slot` absent; `contextFrame` is where, exactly) or left
   * a peer's jitter buffer.
   */
  impulse: { slot?: number; epochMs: number; contextFrame?: number };
  error: { code: string; message: string };
  /** Benchmark: the metronome's click for `beat` started; `epochMs` is when it is heard (our epoch clock). */
  click: { beat: number; epochMs: number };
  /** Benchmark: backing track `id`'s frame `fromFrame` was rendered; `epochMs` is when it is heard (our clock). */
  'backing-started': { id: number; fromFrame: number; epochMs: number };
  /** The microphone was reopened: senders of the old track should switch to this one. */
  input: { track: MediaStreamTrack | null };
}

export interface AudioEngineOptions {
  net: AudioNetClient;
  send: SendSettings;
  input: InputOptions;
  workletUrls: { capture: string; playback: string; detector: string; recordTap: string };
  benchmark?: boolean;
  impairment?: Impairment | null;
}

export class AudioEngine {
  readonly events = new Emitter<AudioEngineEvents>();
  readonly context: AudioContext;
  readonly shared: boolean;
  readonly #net: AudioNetClient;
  readonly #params: ParamBlock;
  readonly #status: StatusBlock;
  readonly #capture: CaptureNode;
  readonly #playback: PlaybackNode;
  readonly #inputGain: GainNode;
  readonly #sendTrack: SendTrack;
  #inputGainDb = 0;
  /** The effects last set (null: none yet); with the gain they decide what the track path sends. */
  #effects: EffectSettings | null = null;
  #inputMuted = false;
  /** The personal mix as heard: everything that reaches the speakers passes here. */
  readonly #out: GainNode;
  readonly #channels: 1 | 2;
  #tap: RecordTapNode | null = null;
  /** Context frame of the capture worklet's sample 0 (`capture-origin`); null until it tells. */
  #captureOrigin: number | null = null;
  /** The context clock on the epoch clock, smoothed over every reading the anchors and impulses take. */
  readonly #clock = new ContextClock();
  /** Raw output-timestamp readings (output-clock.ts: Firefox's may block, so it never makes them). */
  readonly #output: OutputClock;
  #source: MediaStreamAudioSourceNode;
  #stream: MediaStream;
  #input: InputOptions;
  readonly #benchmark: boolean;
  readonly #receivers = new Set<TrackReceiver>();
  /** Benchmarks only: what the player hears of themselves (the capture node's monitor output). */
  #monitorMeter: { analyser: AnalyserNode; samples: Float32Array<ArrayBuffer> } | null = null;
  readonly #offs: Array<() => void> = [];
  #disposed = false;

  /**
   * Opens the microphone and builds the graph. Throws DeviceError (microphone) or AudioStartError (the
   * context or its worklets never came up: no output device answered) with a readable message.
   */
  static async start(options: AudioEngineOptions): Promise<AudioEngine> {
    // latencyHint 0: the smallest output buffer the device allows.
    const context = new AudioContext({ latencyHint: 0, sampleRate: AUDIO_SAMPLE_RATE });
    let stream: MediaStream | null = null;
    try {
      const urls = options.workletUrls;
      // Only the benchmark listens to remote tracks for impulses.
      await loadWorklets(context, [
        urls.capture,
        urls.playback,
        urls.recordTap,
        ...(options.benchmark ? [urls.detector] : []),
      ]);
      // Not bounded: the player may take their time answering the browser's microphone prompt.
      stream = await openInput(options.input);
      await whenRunning(context);
      return new AudioEngine(context, stream, options);
    } catch (error) {
      for (const track of stream?.getTracks() ?? []) track.stop();
      // Not awaited: a context that never started may never finish closing either.
      context.close().catch((closeError: unknown) => console.warn('audio context close', closeError));
      throw error;
    }
  }

  private constructor(context: AudioContext, stream: MediaStream, options: AudioEngineOptions) {
    this.context = context;
    this.#net = options.net;
    this.#stream = stream;
    this.#input = options.input;
    this.#benchmark = options.benchmark === true;
    this.#output = createOutputClock(context, {
      blockingReads: outputReadsMayBlock(globalThis.navigator?.userAgent ?? ''),
    });
    this.shared = typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true;
    const memory = {
      capture: allocateAudioMemory(SAMPLE_RING_BYTES, this.shared),
      packets: allocateAudioMemory(PACKET_RINGS_BYTES, this.shared),
      status: allocateAudioMemory(STATUS_BYTES, this.shared),
      params: allocateAudioMemory(PARAM_BYTES, this.shared),
    };
    this.#params = new ParamBlock(memory.params);
    this.#params.reset();
    this.#status = new StatusBlock(memory.status);
    const common = {
      fallback: !this.shared,
      frameSamples: options.send.frameSamples,
      channels: options.send.channels,
      benchmark: { enabled: options.benchmark === true },
    };
    this.#capture = new CaptureNode(context, {
      ...common,
      ...(this.shared
        ? { buffers: { capture: memory.capture, status: memory.status, params: memory.params } }
        : {}),
    });
    this.#playback = new PlaybackNode(context, {
      ...common,
      ...(this.shared
        ? { buffers: { packets: memory.packets, status: memory.status, params: memory.params } }
        : {}),
    });
    this.#channels = options.send.channels;
    this.#inputGain = new GainNode(context, { gain: 1 });
    this.#out = new GainNode(context, { gain: 1 });
    this.#out.connect(context.destination);
    this.#source = context.createMediaStreamSource(stream);
    this.#source.connect(this.#inputGain).connect(this.#capture).connect(this.#out);
    this.#playback.connect(this.#out);
    this.#sendTrack = new SendTrack({
      context,
      capture: this.#capture,
      output: CaptureNode.SEND_OUTPUT,
      channels: options.send.channels,
    });

    this.#capture.onEvent((event) => this.#onWorkletEvent(event));
    this.#playback.onEvent((event) => this.#onWorkletEvent(event));
    options.net.init({
      captureMemory: memory.capture,
      packetMemory: memory.packets,
      shared: this.shared,
      settings: options.send,
      ...(options.impairment ? { impairment: options.impairment } : {}),
      trace: options.benchmark === true,
    });
    for (const [sourceKey, slot] of options.net.slots) {
      this.#playback.post({ type: 'add-peer', slot, peerKey: sourceKey });
    }
    this.#offs.push(
      options.net.events.on('source-added', ({ sourceKey, slot }) =>
        this.#playback.post({ type: 'add-peer', slot, peerKey: sourceKey }),
      ),
      options.net.events.on('source-removed', ({ slot }) =>
        this.#playback.post({ type: 'remove-peer', slot }),
      ),
      options.net.events.on('packet', (packet) =>
        this.#playback.post(packet, [packet.pcm.buffer as ArrayBuffer]),
      ),
    );
    // Four readings a second feed the smoothed clock (context-clock.ts: the median of the last 10 s).
    const clockTimer = setInterval(() => this.#readClock(), CLOCK_READ_MS);
    this.#offs.push(() => clearInterval(clockTimer));
  }

  setPeerParams(slot: number, params: Partial<PeerParams>): void {
    this.#params.setPeer(slot, params);
    this.#paramsChanged();
  }

  /** Own input in own ears (linear gain; 0 = off). */
  setMonitorGain(gain: number): void {
    this.#params.setGlobal(ParamGlobal.MonitorGain, gain);
    this.#paramsChanged();
  }

  setMasterGain(gain: number): void {
    this.#params.setGlobal(ParamGlobal.MasterGain, gain);
    this.#paramsChanged();
  }

  /** Fixed jitter-buffer depth in ms for every peer, or 0 for automatic. */
  setJitterOverride(ms: number): void {
    this.#params.setGlobal(ParamGlobal.JitterOverrideMs, Math.max(0, ms));
    this.#paramsChanged();
  }

  /** Changes the capture frame size live (the Worker's encoder must be reconfigured to match). */
  /** The player's input effects (protocol/effects.ts); the capture worklet checks them again. */
  setEffects(settings: EffectSettings): void {
    this.#capture.post({ type: 'effects', settings });
    this.#changeSend(() => (this.#effects = settings));
  }

  setFrameSamples(frameSamples: number): void {
    this.#capture.post({ type: 'set-frame-size', frameSamples });
  }

  setInputGainDb(db: number): void {
    this.#changeSend(() => (this.#inputGainDb = db));
    this.#applyInputGain();
  }

  /**
   * "Mute me": silence on every path. The gain node feeds the capture (data channels, SFU, recording
   * tap, own monitor, and the track path's processed signal); the track path may send the microphone
   * track itself, so that track is disabled too.
   */
  setInputMuted(muted: boolean): void {
    this.#inputMuted = muted;
    this.#applyInputGain();
    const microphone = this.#stream.getAudioTracks()[0];
    if (microphone) microphone.enabled = !muted;
  }

  #applyInputGain(): void {
    const gain = this.#inputMuted ? 0 : 10 ** (this.#inputGainDb / 20);
    this.#inputGain.gain.setTargetAtTime(gain, this.context.currentTime, 0.02);
  }

  /** Reopens the microphone with other options (device, processing, channels). */
  async setInput(input: InputOptions): Promise<void> {
    const stream = await openInput(input);
    if (this.#disposed) {
      for (const track of stream.getTracks()) track.stop();
      return;
    }
    this.#source.disconnect();
    for (const track of this.#stream.getTracks()) track.stop();
    this.#stream = stream;
    this.#input = input;
    // A reopened microphone stays muted while "Mute me" is on (its new track starts enabled).
    const microphone = stream.getAudioTracks()[0];
    if (microphone) microphone.enabled = !this.#inputMuted;
    this.#source = this.context.createMediaStreamSource(stream);
    this.#source.connect(this.#inputGain);
    this.#inputChanged();
  }

  /** What the fallback path sends: the microphone's track, or the processed one (send-track.ts). */
  get inputTrack(): MediaStreamTrack | null {
    const microphone = this.#stream.getAudioTracks()[0] ?? null;
    if (!sendsProcessed(this.#effects, this.#inputGainDb)) return microphone;
    return this.#sendTrack.track() ?? microphone;
  }

  /** Applies `change`; tells the track path when it turned what is sent from raw to processed or back. */
  #changeSend(change: () => void): void {
    const before = sendsProcessed(this.#effects, this.#inputGainDb);
    change();
    if (before !== sendsProcessed(this.#effects, this.#inputGainDb)) this.#inputChanged();
  }

  #inputChanged(): void {
    if (!this.#disposed) this.events.emit('input', { track: this.inputTrack });
  }

  /**
   * Plays a remote player's WebRTC audio track (fallback path) into this context; `slot` is that
   * player's peer slot, which names it in `impulse` events. The engine disposes it on dispose().
   */
  receiveTrack(slot: number, track: MediaStreamTrack): TrackReceiver {
    const receiver = new TrackReceiver({
      context: this.context,
      track,
      output: this.#out,
      ...(this.#benchmark
        ? {
            detect: {
              onImpulse: (frame: number) =>
                this.events.emit('impulse', { slot, epochMs: this.#contextFrameToEpochMs(frame, false) }),
            },
          }
        : {}),
    });
    this.#receivers.add(receiver);
    return receiver;
  }

  /** Releases a receiver made by receiveTrack. */
  releaseTrack(receiver: TrackReceiver): void {
    this.#receivers.delete(receiver);
    receiver.dispose();
  }

  get input(): InputOptions {
    return this.#input;
  }

  /** Chooses the output device where the browser allows it (AudioContext.setSinkId). */
  async setOutput(deviceId: string): Promise<void> {
    const context = this.context as AudioContext & { setSinkId?: (id: string) => Promise<void> };
    if (!context.setSinkId) throw new Error('This browser cannot choose the output device.');
    await context.setSinkId(deviceId);
  }

  peerStatus(slot: number): PeerStatus {
    return this.#status.readPeer(slot);
  }

  /** Captured frames the audio Worker did not take in time (the capture ring was full), total. */
  captureOverflows(): number {
    return this.#status.ints[StatusInt.CaptureOverflows]!;
  }

  inputLevel(): { peak: number; rms: number } {
    return {
      peak: this.#status.floats[StatusFloat.CapturePeak]!,
      rms: this.#status.floats[StatusFloat.CaptureRms]!,
    };
  }

  /**
   * Benchmarks and e2e: the peak of the player's own monitor (dry input plus the monitor-only reverb)
   * over the analyser's last 2,048 samples; the node is made on first use and only with `benchmark`.
   */
  monitorPeak(): number {
    if (!this.#benchmark || this.#disposed) return 0;
    if (!this.#monitorMeter) {
      const analyser = new AnalyserNode(this.context, { fftSize: 2048 });
      this.#capture.connect(analyser, 0);
      this.#monitorMeter = { analyser, samples: new Float32Array(analyser.fftSize) };
    }
    const { analyser, samples } = this.#monitorMeter;
    analyser.getFloatTimeDomainData(samples);
    let peak = 0;
    for (const v of samples) peak = Math.max(peak, Math.abs(v));
    return peak;
  }

  /** Device latencies the browser reports, ms. */
  deviceLatencyMs(): { output: number; base: number } {
    return this.#output.latencyMs();
  }

  /**
   * Starts a recording tap: the microphone as the capture node gets it and the mix as heard, in blocks
   * to `port` (the recorder Worker's end; see TapBlock). Replaces a tap already open.
   */
  openRecordTap(port: MessagePort): void {
    this.closeRecordTap();
    if (this.#disposed) {
      port.close();
      return;
    }
    const tap = new RecordTapNode(this.context, { inputChannels: this.#channels });
    this.#inputGain.connect(tap, 0, 0);
    this.#out.connect(tap, 0, 1);
    // The backing track alone, from the same render as the mix: its stem is sample-aligned with it.
    this.#playback.connect(tap, 1, 2);
    tap.open(port);
    this.#tap = tap;
  }

  /** Stops the recording tap, if open (idempotent). */
  closeRecordTap(): void {
    const tap = this.#tap;
    if (!tap) return;
    this.#tap = null;
    this.#inputGain.disconnect(tap);
    this.#out.disconnect(tap);
    this.#playback.disconnect(tap);
    tap.dispose();
  }

  /** The context frame about to play and its epoch time (captured-time mapping, as recordings use). */
  clockAnchor(): ClockAnchor {
    const contextFrame = this.#nowFrame();
    return { contextFrame, epochMs: this.#contextFrameToEpochMs(contextFrame, true) };
  }

  /**
   * Our capture clock for the Worker to send to peers: capture-timeline sample `senderTime` (the
   * capture worklet's framer index, u32) and when it was captured on the epoch clock. Null until the
   * capture worklet has told where its sample 0 lies.
   */
  captureAnchor(): CaptureAnchor | null {
    const origin = this.#captureOrigin;
    if (origin === null) return null;
    const frame = this.#nowFrame();
    return { senderTime: (frame - origin) >>> 0, epochMs: this.#contextFrameToEpochMs(frame, true) };
  }

  /**
   * The context frame (fractional) heard at epoch ms `epochMs` on our clock: how the metronome maps the
   * shared timeline onto this context (the inverse of the played-time mapping, context-clock.ts).
   */
  playedFrameAt(epochMs: number): number {
    return (epochMs - this.#contextFrameToEpochMs(0, false)) * (this.context.sampleRate / 1000);
  }

  /** The metronome's timeline on our frames (protocol/audio-worklet.ts), or its stop. */
  setMetronome(message: Omit<MetronomeMessage, 'type'>): void {
    if (!this.#disposed) this.#playback.post({ type: 'metronome', ...message });
  }

  /** Hands the decoded backing track's channels to the playback worklet (transferred: they move). */
  loadBackingTrack(id: number, channels: Float32Array[]): void {
    if (this.#disposed) return;
    this.#playback.post(
      { type: 'backing-load', id, channels },
      channels.map((c) => c.buffer as ArrayBuffer),
    );
  }

  /** The backing track's transport on our frames (protocol/audio-worklet.ts), or its stop. */
  setBackingTrack(message: Omit<BackingPlayMessage, 'type'>): void {
    if (!this.#disposed) this.#playback.post({ type: 'backing-play', ...message });
  }

  /** The backing track as we hear it (after our level and mute). */
  backingLevel(): { peak: number; rms: number } {
    return {
      peak: this.#status.floats[StatusFloat.BackingPeak]!,
      rms: this.#status.floats[StatusFloat.BackingRms]!,
    };
  }

  dispose(): void {
    if (this.#disposed) return;
    this.closeRecordTap();
    this.#disposed = true;
    for (const off of this.#offs) off();
    for (const receiver of this.#receivers) receiver.dispose();
    this.#receivers.clear();
    this.#source.disconnect();
    this.#inputGain.disconnect();
    this.#sendTrack.dispose();
    this.#capture.dispose();
    this.#playback.dispose();
    this.#out.disconnect();
    this.#monitorMeter?.analyser.disconnect();
    for (const track of this.#stream.getTracks()) track.stop();
    void this.context.close();
    this.events.clear();
  }

  #paramsChanged(): void {
    if (this.shared) return; // the worklets read the shared block every render quantum
    const floats = this.#params.floats.slice();
    this.#playback.post({ type: 'params', floats });
    this.#capture.post({ type: 'params', floats: floats.slice() });
  }

  #onWorkletEvent(event: import('../protocol/audio-worklet').WorkletEvent): void {
    switch (event.type) {
      case 'capture-frame':
        this.#net.relayCaptureFrame(event);
        return;
      case 'status':
        this.#status.ints.set(event.ints.subarray(0, this.#status.ints.length));
        this.#status.floats.set(event.floats.subarray(0, this.#status.floats.length));
        return;
      case 'impulse-detected':
        this.events.emit('impulse', {
          ...(event.slot === undefined ? { contextFrame: event.contextFrame } : { slot: event.slot }),
          epochMs: this.#contextFrameToEpochMs(event.contextFrame, event.slot === undefined),
        });
        return;
      case 'click-rendered':
        this.events.emit('click', {
          beat: event.beat,
          epochMs: this.#contextFrameToEpochMs(event.contextFrame, false),
        });
        return;
      case 'backing-started':
        this.events.emit('backing-started', {
          id: event.id,
          fromFrame: event.fromFrame,
          epochMs: this.#contextFrameToEpochMs(event.contextFrame, false),
        });
        return;
      case 'capture-origin':
        this.#captureOrigin = event.contextFrame;
        return;
      case 'error':
        this.events.emit('error', { code: event.code, message: event.message });
        return;
      case 'ready':
        return;
    }
  }

  #nowFrame(): number {
    return Math.round(this.context.currentTime * this.context.sampleRate);
  }

  /**
   * Wall-clock time of a context frame, through the browser's output timestamp (which tells when the
   * sample at `contextTime` reaches the speaker), smoothed over the recent readings (context-clock.ts).
   * Captured frames are moved back by the output latency, so they read as the moment they entered the
   * graph; played frames keep it: that is when they are heard.
   */
  #contextFrameToEpochMs(frame: number, captured: boolean): number {
    const reading = this.#readClock();
    const smoothed = this.#clock.toEpochMs(frame / this.context.sampleRate, captured);
    if (Number.isFinite(smoothed)) return smoothed;
    const heardAt = reading.performanceTime + (frame / this.context.sampleRate - reading.contextTime) * 1000;
    return performance.timeOrigin + heardAt - (captured ? reading.outputMs : 0);
  }

  /** One output-timestamp reading, fed to the smoothed clock. */
  #readClock(): { contextTime: number; performanceTime: number; outputMs: number } {
    const { contextTime, performanceTime, outputMs } = this.#output.read();
    this.#clock.add(contextTime, performance.timeOrigin + performanceTime, outputMs);
    return { contextTime, performanceTime, outputMs };
  }
}
