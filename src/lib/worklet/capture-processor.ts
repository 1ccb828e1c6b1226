/**
 * `bandmesh-capture`: frames the microphone input (mono or stereo) into 120/240/480-sample frames and
 * hands each frame to the encoder Worker through the capture sample ring (which wakes the Worker with
 * `Atomics.notify`), or, without SharedArrayBuffer, as one `capture-frame` message per frame. It also
 * meters the input into the status block, can monitor the input straight to its own output at
 * `MonitorGain` (zero network delay), and, for the latency benchmark, reports impulse onsets. After each
 * `init` it tells the context frame of its sample 0 (`capture-origin`), so recording can map a frame's
 * senderTime to the moment it was captured. The input effects (gate → EQ → compressor,
 * `dsp/effects/`) run on what is framed and sent; the reverb is added to the monitor only.
 *
 * The logic lives in {@link CaptureEngine}, a plain class Node tests drive with typed arrays.
 */
import { AUDIO_MAX_CHANNELS, AUDIO_MAX_FRAME_SAMPLES, isFrameSamples } from '../protocol/audio-frame.js';
import {
  PARAM_BYTES,
  PARAM_FLOATS,
  STATUS_BYTES,
  ParamBlock,
  ParamGlobal,
  SampleRing,
  SampleRingHeader,
  StatusBlock,
  StatusFloat,
  StatusInt,
  allocateAudioMemory,
} from '../protocol/audio-layout.js';
import {
  AUDIO_WORKLET_VERSION,
  CAPTURE_PROCESSOR_NAME,
  WorkletErrorCode,
  type InitMessage,
  type WorkletEvent,
} from '../protocol/audio-worklet.js';
import { parseEffectSettings } from '../protocol/effects.js';
import { EffectChain } from './dsp/effects/effect-chain.js';
import { Framer } from './dsp/framer.js';
import { ImpulseDetector } from './dsp/impulse.js';
import { Meter, onePoleCoeff } from './dsp/mixer.js';
import { acceptCommand, FallbackStatusPoster } from './engine-port.js';
import { registerEngineProcessor, type AudioBuses } from './scope.js';

const NO_INPUT: Float32Array[] = [];
/** Largest render quantum the effects have buffers for (Web Audio's is 128); larger ones run dry. */
const FX_MAX_FRAMES = 1024;

export interface CaptureEngineOptions {
  sampleRate: number;
  post: (event: WorkletEvent, transfer?: unknown[]) => void;
}

export class CaptureEngine {
  private readonly sr: number;
  private readonly post: CaptureEngineOptions['post'];
  private readonly framer = new Framer({ frameSamples: 120, channels: 1 });
  private readonly frame = new Float32Array(AUDIO_MAX_FRAME_SAMPLES * AUDIO_MAX_CHANNELS);
  private readonly meter: Meter;
  private readonly impulse = new ImpulseDetector();
  private readonly smooth: number;
  private ring: SampleRing | null = null;
  private status: StatusBlock | null = null;
  private params: ParamBlock | null = null;
  private fallback = false;
  private benchmark = false;
  private monitor = 0;
  /** `capture-origin` is still to be posted (once per init, at the next quantum). */
  private originPending = false;
  private readonly statusPoster: FallbackStatusPoster;
  private readonly fx: EffectChain;
  // The effects work on copies of the input (the input buffers are the browser's).
  private readonly fxA = new Float32Array(FX_MAX_FRAMES);
  private readonly fxB = new Float32Array(FX_MAX_FRAMES);
  private readonly fxMono = [this.fxA];
  private readonly fxStereo = [this.fxA, this.fxB];
  private readonly revL = new Float32Array(FX_MAX_FRAMES);
  private readonly revR = new Float32Array(FX_MAX_FRAMES);

  constructor(options: CaptureEngineOptions) {
    this.sr = options.sampleRate;
    this.post = options.post;
    this.statusPoster = new FallbackStatusPoster(options.sampleRate, options.post);
    this.meter = new Meter(this.sr);
    this.smooth = onePoleCoeff(0.01, this.sr);
    this.fx = new EffectChain(this.sr, FX_MAX_FRAMES);
  }

  handle(data: unknown): void {
    const m = acceptCommand(data, this.status !== null && this.params !== null, this.post);
    if (!m) return;
    if (m.type === 'init') return this.init(m);
    const { status, params } = this;
    if (!status || !params) return; // unreachable: acceptCommand refused it
    switch (m.type) {
      case 'set-frame-size':
        if (isFrameSamples(m.frameSamples)) {
          this.framer.setFrameSamples(m.frameSamples);
          this.ring?.setShape(this.framer.channels, m.frameSamples);
        }
        return;
      case 'params':
        if (this.fallback) params.floats.set(m.floats.subarray(0, PARAM_FLOATS));
        return;
      case 'set-benchmark':
        this.setBenchmark(m.enabled, m.threshold, m.holdoffMs);
        return;
      case 'effects': {
        const parsed = parseEffectSettings(m.settings);
        if (parsed.ok) this.fx.set(parsed.settings);
        else
          this.post({
            type: 'error',
            code: WorkletErrorCode.BadMessage,
            message: `effects: ${parsed.reason}`,
          });
        return;
      }
      default:
        this.post({ type: 'error', code: WorkletErrorCode.BadMessage, message: `${m.type} is for playback` });
    }
  }

  private init(m: InitMessage): void {
    this.fallback = m.fallback || !m.buffers;
    const b = m.buffers;
    this.framer.channels = m.channels === 2 ? 2 : 1;
    this.framer.setFrameSamples(isFrameSamples(m.frameSamples) ? m.frameSamples : 120);
    this.ring = !this.fallback && b?.capture ? new SampleRing(b.capture) : null;
    this.ring?.setShape(this.framer.channels, this.framer.frameSamples);
    this.status = new StatusBlock(!this.fallback && b ? b.status : allocateAudioMemory(STATUS_BYTES, false));
    this.params = new ParamBlock(
      !this.fallback && b?.params ? b.params : allocateAudioMemory(PARAM_BYTES, false),
    );
    if (this.fallback || !b?.params) this.params.reset();
    this.setBenchmark(m.benchmark?.enabled ?? false, m.benchmark?.threshold, m.benchmark?.holdoffMs);
    this.originPending = true;
    this.post({ type: 'ready', version: AUDIO_WORKLET_VERSION, processor: CAPTURE_PROCESSOR_NAME });
  }

  private setBenchmark(enabled: boolean, threshold?: number, holdoffMs?: number): void {
    this.benchmark = enabled;
    if (threshold !== undefined) this.impulse.threshold = threshold;
    if (holdoffMs !== undefined) this.impulse.holdoffSamples = Math.round((holdoffMs * this.sr) / 1000);
    this.impulse.reset();
  }

  /** One render quantum: `inputs[0]` is the microphone, `outputs[0]` the monitor. */
  process(inputs: AudioBuses, outputs: AudioBuses, currentFrame: number): boolean {
    const input = inputs[0] ?? NO_INPUT;
    const out = outputs[0];
    const n = out?.[0]?.length ?? input[0]?.length ?? 128;
    const status = this.status;
    if (!status || !this.params) {
      if (out) for (const ch of out) ch.fill(0);
      return true;
    }
    const ints = status.ints;
    ints[StatusInt.CaptureBlocks] = (ints[StatusInt.CaptureBlocks]! + 1) | 0;

    const framer = this.framer;
    if (this.originPending) {
      // Samples framed so far (none on the first quantum) came before this quantum's first sample.
      this.originPending = false;
      this.post({ type: 'capture-origin', contextFrame: currentFrame - framer.frameStart - framer.buffered });
    }
    const sent = this.applyEffects(input, n);
    framer.push(sent, n);
    const count = framer.frameSamples * framer.channels;
    for (let start = framer.frameStart; framer.pop(this.frame); start = framer.frameStart) {
      ints[StatusInt.CaptureFrames] = (ints[StatusInt.CaptureFrames]! + 1) | 0;
      if (this.ring) this.ring.writeFrame(this.frame, count);
      else {
        // Fallback: one message per frame (≤ 400/s at 2.5 ms), never per quantum.
        const samples = this.frame.slice(0, count);
        this.post(
          {
            type: 'capture-frame',
            senderTime: start,
            frameSamples: framer.frameSamples,
            channels: framer.channels,
            samples,
          },
          [samples.buffer],
        );
      }
    }
    if (this.ring) ints[StatusInt.CaptureOverflows] = this.ring.header[SampleRingHeader.Overflows]!;

    const in0 = input[0];
    if (in0) {
      this.meter.update(in0, n, input[1]);
      if (this.benchmark) {
        const idx = this.impulse.process(in0, n);
        if (idx >= 0) {
          ints[StatusInt.CaptureImpulses] = (ints[StatusInt.CaptureImpulses]! + 1) | 0;
          this.post({ type: 'impulse-detected', contextFrame: currentFrame + idx });
        }
      }
    } else this.meter.update(this.frame, 0);
    status.floats[StatusFloat.CapturePeak] = this.meter.peak;
    status.floats[StatusFloat.CaptureRms] = this.meter.rms;

    if (out) {
      const target = this.params.floats[ParamGlobal.MonitorGain]!;
      const k = this.smooth;
      // The reverb is heard only here, on top of what is sent; never framed.
      const reverb = sent !== input && this.fx.reverbActive;
      if (reverb)
        this.fx.renderMonitorReverb(this.fxA, sent.length > 1 ? this.fxB : null, n, this.revL, this.revR);
      for (let c = 0; c < out.length; c++) {
        const o = out[c]!;
        const src = sent[c] ?? sent[0];
        const rev = c === 0 ? this.revL : this.revR;
        // Every channel runs the same ramp from the same start; the last one stores where it ended.
        let g = this.monitor;
        if (src) {
          if (reverb) {
            for (let i = 0; i < n; i++) {
              g += (target - g) * k;
              o[i] = (src[i]! + rev[i]!) * g;
            }
          } else {
            for (let i = 0; i < n; i++) {
              g += (target - g) * k;
              o[i] = src[i]! * g;
            }
          }
        } else o.fill(0);
        if (c === out.length - 1) this.monitor = src ? g : target;
      }
    }
    copySend(sent, outputs[1], n);
    if (this.fallback) this.statusPoster.tick(n, status);
    return true;
  }

  /**
   * Copies the input and runs gate → EQ → compressor on the copy; returns the buses to send. Without
   * input, or in a quantum larger than the effect buffers, returns the input untouched.
   */
  private applyEffects(input: readonly Float32Array[], n: number): readonly Float32Array[] {
    const a = input[0];
    if (!a || n > FX_MAX_FRAMES) return input;
    const b = input[1];
    const { fxA, fxB } = this;
    for (let i = 0; i < n; i++) fxA[i] = a[i]!;
    if (b) for (let i = 0; i < n; i++) fxB[i] = b[i]!;
    this.fx.processSend(fxA, b ? fxB : null, n);
    return b ? this.fxStereo : this.fxMono;
  }
}

/** Output 1 carries what is sent (the track path's processed signal); silence without input. */
function copySend(sent: readonly Float32Array[], out: Float32Array[] | undefined, n: number): void {
  if (!out) return;
  for (let c = 0; c < out.length; c++) {
    const o = out[c]!;
    const src = sent[c] ?? sent[0];
    if (!src) {
      o.fill(0);
      continue;
    }
    const m = Math.min(n, o.length, src.length);
    for (let i = 0; i < m; i++) o[i] = src[i]!;
  }
}

/** Registers `bandmesh-capture` when loaded in an AudioWorkletGlobalScope; a no-op elsewhere. */
export function registerCaptureProcessor(): void {
  registerEngineProcessor(
    CAPTURE_PROCESSOR_NAME,
    ({ sampleRate, post }) => new CaptureEngine({ sampleRate, post }),
  );
}

registerCaptureProcessor();
