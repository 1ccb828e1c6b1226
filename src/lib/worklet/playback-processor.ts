/**
 * `bandmesh-playback`: per remote peer, drains the packet ring into a jitter buffer, renders 128 samples
 * with drift compensation and concealment, applies the personal mix (smoothed gain, pan, mute, solo,
 * master) and writes meters and counters to the status block. Output 0 is the mix; output 1 the backing
 * track alone, at unity (what a recording takes as the track's stem).
 *
 * The logic lives in {@link PlaybackEngine}, a plain class Node tests drive with typed arrays; the
 * AudioWorkletProcessor at the bottom only adapts it and registers when loaded in a worklet scope.
 * `process()` never allocates, logs, awaits or throws; it posts only rare benchmark events and, in the
 * no-SharedArrayBuffer fallback, a status copy every 50 ms.
 */
import {
  MAX_PEERS,
  PACKET_RINGS_BYTES,
  PARAM_BYTES,
  PARAM_FLOATS,
  STATUS_BYTES,
  PacketRing,
  ParamBlock,
  ParamGlobal,
  ParamPeer,
  PeerStatusFloat,
  PeerStatusInt,
  StatusBlock,
  StatusFloat,
  StatusInt,
  allocateAudioMemory,
} from '../protocol/audio-layout.js';
import {
  AUDIO_WORKLET_VERSION,
  PLAYBACK_PROCESSOR_NAME,
  type InitMessage,
  type WorkletEvent,
} from '../protocol/audio-worklet.js';
import { BackingVoice } from './dsp/backing-voice.js';
import { ClickTrack } from './dsp/click.js';
import { ImpulseDetector } from './dsp/impulse.js';
import { JitterBuffer } from './dsp/jitter-buffer.js';
import { Meter, onePoleCoeff, panMono, panStereo, resolveAudible } from './dsp/mixer.js';
import { acceptCommand, FallbackStatusPoster } from './engine-port.js';
import { registerEngineProcessor, type AudioBuses } from './scope.js';

const QUANTUM = 128;

class PeerChannel {
  readonly jb: JitterBuffer;
  readonly meter: Meter;
  readonly impulse = new ImpulseDetector();
  readonly out = [new Float32Array(QUANTUM), new Float32Array(QUANTUM)];
  active = false;
  /** The slot ring's overflow count (the Worker's) when this peer arrived: Dropped counts from here. */
  overflowBase = 0;
  gainL = 0;
  gainR = 0;

  constructor(sampleRate: number) {
    this.jb = new JitterBuffer({ sampleRate });
    this.meter = new Meter(sampleRate);
  }
}

export interface EngineOptions {
  sampleRate: number;
  /** Posts an event to the main thread (the processor's port). */
  post: (event: WorkletEvent, transfer?: unknown[]) => void;
}

export class PlaybackEngine {
  private readonly sr: number;
  private readonly post: EngineOptions['post'];
  private readonly peers: PeerChannel[] = [];
  private readonly rings: PacketRing[] = [];
  private status: StatusBlock | null = null;
  private params: ParamBlock | null = null;
  private fallback = false;
  private benchmark = false;
  private readonly smooth: number;
  private master = 1;
  private readonly pan = new Float32Array(2);
  private readonly activeArr = new Float32Array(MAX_PEERS);
  private readonly muteArr = new Float32Array(MAX_PEERS);
  private readonly soloArr = new Float32Array(MAX_PEERS);
  private readonly audible = new Float32Array(MAX_PEERS);
  private readonly outMeter: Meter;
  private readonly click: ClickTrack;
  private readonly backing: BackingVoice;
  private readonly statusPoster: FallbackStatusPoster;

  constructor(options: EngineOptions) {
    this.sr = options.sampleRate;
    this.post = options.post;
    this.statusPoster = new FallbackStatusPoster(options.sampleRate, options.post);
    this.smooth = onePoleCoeff(0.01, this.sr);
    this.outMeter = new Meter(this.sr);
    this.click = new ClickTrack(this.sr);
    this.backing = new BackingVoice(this.sr, this.smooth);
    for (let p = 0; p < MAX_PEERS; p++) this.peers.push(new PeerChannel(this.sr));
  }

  get initialised(): boolean {
    return this.status !== null;
  }

  /** A port message. Never throws; malformed messages are answered with an error event. */
  handle(data: unknown): void {
    const m = acceptCommand(data, this.status !== null && this.params !== null, this.post);
    if (!m) return;
    if (m.type === 'init') return this.init(m);
    const { status, params } = this;
    if (!status || !params) return; // unreachable: acceptCommand refused it
    switch (m.type) {
      case 'add-peer':
      case 'remove-peer': {
        const peer = this.peers[m.slot]!;
        peer.jb.reset();
        peer.jb.clearStats();
        peer.meter.reset();
        peer.impulse.reset();
        peer.gainL = peer.gainR = 0;
        peer.active = m.type === 'add-peer';
        status.resetPeer(m.slot);
        status.ints[StatusBlock.peerInt(m.slot, PeerStatusInt.Active)] = peer.active ? 1 : 0;
        // Drop whatever the Worker queued for the slot's previous occupant.
        const ring = this.rings[m.slot]!;
        while (ring.peek() >= 0) ring.release();
        peer.overflowBase = ring.overflows();
        return;
      }
      case 'packet':
        if (this.fallback) {
          this.rings[m.slot]!.write(m, [m.pcm.subarray(0, m.frameSamples), m.pcm.subarray(m.frameSamples)]);
        }
        return;
      case 'params':
        if (this.fallback) params.floats.set(m.floats.subarray(0, PARAM_FLOATS));
        return;
      case 'set-benchmark':
        this.setBenchmark(m.enabled, m.threshold, m.holdoffMs);
        return;
      case 'metronome':
        this.click.set(m);
        return;
      case 'backing-load':
        this.backing.load(m.id, m.channels);
        return;
      case 'backing-play':
        this.backing.set(m);
        return;
    }
  }

  private init(m: InitMessage): void {
    this.fallback = m.fallback || !m.buffers;
    const b = m.buffers;
    const packets = !this.fallback && b?.packets ? b.packets : allocateAudioMemory(PACKET_RINGS_BYTES, false);
    this.status = new StatusBlock(!this.fallback && b ? b.status : allocateAudioMemory(STATUS_BYTES, false));
    const paramMem = !this.fallback && b?.params ? b.params : allocateAudioMemory(PARAM_BYTES, false);
    this.params = new ParamBlock(paramMem);
    if (this.fallback || !b?.params) this.params.reset();
    this.rings.length = 0;
    for (let p = 0; p < MAX_PEERS; p++) this.rings.push(PacketRing.forPeer(packets, p));
    this.setBenchmark(m.benchmark?.enabled ?? false, m.benchmark?.threshold, m.benchmark?.holdoffMs);
    this.post({ type: 'ready', version: AUDIO_WORKLET_VERSION, processor: PLAYBACK_PROCESSOR_NAME });
  }

  private setBenchmark(enabled: boolean, threshold?: number, holdoffMs?: number): void {
    this.benchmark = enabled;
    for (const peer of this.peers) {
      if (threshold !== undefined) peer.impulse.threshold = threshold;
      if (holdoffMs !== undefined) peer.impulse.holdoffSamples = Math.round((holdoffMs * this.sr) / 1000);
      peer.impulse.reset();
    }
  }

  /** One render quantum. `currentFrame` is the AudioContext frame of its first sample. */
  process(outputs: AudioBuses, currentFrame: number): boolean {
    const out = outputs[0];
    if (!out || out.length === 0) return true;
    const outL = out[0]!;
    const outR = out[1] ?? outL;
    const n = outL.length;
    outL.fill(0);
    if (outR !== outL) outR.fill(0);
    const stemOut = outputs[1];
    if (stemOut) for (let c = 0; c < stemOut.length; c++) stemOut[c]!.fill(0);
    const status = this.status;
    const params = this.params;
    if (!status || !params) return true;
    const ints = status.ints;
    const floats = status.floats;
    const pf = params.floats;
    ints[StatusInt.PlaybackBlocks] = (ints[StatusInt.PlaybackBlocks]! + 1) | 0;

    for (let p = 0; p < MAX_PEERS; p++) {
      this.activeArr[p] = this.peers[p]!.active ? 1 : 0;
      this.muteArr[p] = pf[ParamBlock.peerIndex(p, ParamPeer.Mute)]!;
      this.soloArr[p] = pf[ParamBlock.peerIndex(p, ParamPeer.Solo)]!;
    }
    resolveAudible(this.activeArr, this.muteArr, this.soloArr, MAX_PEERS, this.audible);
    const override = pf[ParamGlobal.JitterOverrideMs]!;
    const k = this.smooth;

    for (let p = 0; p < MAX_PEERS; p++) {
      const peer = this.peers[p]!;
      if (!peer.active) continue;
      const jb = peer.jb;
      const ring = this.rings[p]!;
      for (let s = ring.peek(); s >= 0; s = ring.peek()) {
        jb.push(
          ring.seq(s),
          ring.senderTime(s),
          ring.flags(s),
          ring.frameSamples(s),
          ring.channels(s),
          ring.pcm(s),
          currentFrame,
        );
        ring.release();
      }
      jb.overrideMs = override > 0 ? override : 0;
      const l = peer.out[0]!;
      const r = peer.out[1]!;
      jb.render(peer.out, n, currentFrame);
      peer.meter.update(l, n, r);
      if (this.benchmark) {
        const idx = peer.impulse.process(l, n);
        if (idx >= 0) {
          const i = StatusBlock.peerInt(p, PeerStatusInt.Impulses);
          ints[i] = ints[i]! + 1;
          this.post({ type: 'impulse-detected', contextFrame: currentFrame + idx, slot: p });
        }
      }

      const gain = pf[ParamBlock.peerIndex(p, ParamPeer.Gain)]! * this.audible[p]!;
      if (jb.channels === 1) panMono(pf[ParamBlock.peerIndex(p, ParamPeer.Pan)]!, this.pan);
      else panStereo(pf[ParamBlock.peerIndex(p, ParamPeer.Pan)]!, this.pan);
      const tl = gain * this.pan[0]!;
      const tr = gain * this.pan[1]!;
      let gl = peer.gainL;
      let gr = peer.gainR;
      if (jb.channels === 1) {
        // A mono source is carried as two equal channels: pan one of them.
        for (let i = 0; i < n; i++) {
          gl += (tl - gl) * k;
          gr += (tr - gr) * k;
          outL[i] = outL[i]! + l[i]! * gl;
          outR[i] = outR[i]! + l[i]! * gr;
        }
      } else {
        for (let i = 0; i < n; i++) {
          gl += (tl - gl) * k;
          gr += (tr - gr) * k;
          outL[i] = outL[i]! + l[i]! * gl;
          outR[i] = outR[i]! + r[i]! * gr;
        }
      }
      peer.gainL = gl;
      peer.gainR = gr;
      this.writePeerStatus(p, peer);
    }

    // The click is part of the personal mix: after the players, before the master fader.
    const beat = this.click.render(outL, outR, n, currentFrame);
    if (this.benchmark && !Number.isNaN(beat))
      this.post({ type: 'click-rendered', beat, contextFrame: this.click.onset(beat) });

    // The backing track too: this player's own level for it, before the master fader. Output 1 carries
    // the track alone at unity, for the recording's backing stem (engine.openRecordTap).
    const stem = outputs[1];
    const trackStart = this.backing.render(outL, outR, n, currentFrame, stem?.[0], stem?.[1] ?? stem?.[0]);
    floats[StatusFloat.BackingPeak] = this.backing.meter.peak;
    floats[StatusFloat.BackingRms] = this.backing.meter.rms;
    if (this.benchmark && !Number.isNaN(trackStart))
      this.post({
        type: 'backing-started',
        id: this.backing.id,
        fromFrame: this.backing.fromFrame,
        contextFrame: trackStart,
      });

    const masterTarget = pf[ParamGlobal.MasterGain]!;
    let g = this.master;
    for (let i = 0; i < n; i++) {
      g += (masterTarget - g) * k;
      outL[i] = outL[i]! * g;
      if (outR !== outL) outR[i] = outR[i]! * g;
    }
    this.master = g;
    this.outMeter.update(outL, n, outR);
    floats[StatusFloat.OutputPeak] = this.outMeter.peak;
    floats[StatusFloat.OutputRms] = this.outMeter.rms;
    if (this.fallback) this.statusPoster.tick(n, status);
    return true;
  }

  private writePeerStatus(p: number, peer: PeerChannel): void {
    const ints = this.status!.ints;
    const floats = this.status!.floats;
    const jb = peer.jb;
    const i0 = StatusBlock.peerInt(p, 0);
    ints[i0 + PeerStatusInt.FramesReceived] = jb.received;
    ints[i0 + PeerStatusInt.Underruns] = jb.underruns;
    ints[i0 + PeerStatusInt.Concealed] = jb.concealed;
    ints[i0 + PeerStatusInt.Late] = jb.late;
    ints[i0 + PeerStatusInt.Dropped] = jb.dropped + this.rings[p]!.overflows() - peer.overflowBase;
    ints[i0 + PeerStatusInt.Duplicates] = jb.duplicates;
    ints[i0 + PeerStatusInt.Resyncs] = jb.resyncs;
    ints[i0 + PeerStatusInt.GapsOver20ms] = jb.gapsOver20ms;
    ints[i0 + PeerStatusInt.Skips] = jb.skips;
    ints[i0 + PeerStatusInt.LongestGapUs] = Math.round((jb.longestGapSamples * 1e6) / this.sr);
    ints[i0 + PeerStatusInt.GapSecond] = jb.gapSecond;
    ints[i0 + PeerStatusInt.LastSecondLongestGapUs] = Math.round(
      (jb.lastSecondLongestGapSamples * 1e6) / this.sr,
    );
    const f0 = StatusBlock.peerFloat(p, 0);
    floats[f0 + PeerStatusFloat.Peak] = peer.meter.peak;
    floats[f0 + PeerStatusFloat.Rms] = peer.meter.rms;
    floats[f0 + PeerStatusFloat.DepthMs] = jb.active ? jb.depthMs : 0;
    floats[f0 + PeerStatusFloat.TargetMs] = jb.targetMs;
    floats[f0 + PeerStatusFloat.DriftPpm] = jb.driftPpm;
    floats[f0 + PeerStatusFloat.RatioPpm] = (jb.ratio - 1) * 1e6;
    floats[f0 + PeerStatusFloat.BufferedMs] = jb.bufferedMs;
  }
}

/** Registers `bandmesh-playback` when loaded in an AudioWorkletGlobalScope; a no-op elsewhere. */
export function registerPlaybackProcessor(): void {
  registerEngineProcessor(PLAYBACK_PROCESSOR_NAME, ({ sampleRate, post }) => {
    const engine = new PlaybackEngine({ sampleRate, post });
    return {
      handle: (data) => engine.handle(data),
      process: (_inputs, outputs, currentFrame) => engine.process(outputs, currentFrame),
    };
  });
}

registerPlaybackProcessor();
