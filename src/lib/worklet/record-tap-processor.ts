/**
 * `bandmesh-record-tap`: what recording takes from the audio graph. Input 0 is the microphone as the
 * capture node gets it, input 1 the personal mix as heard (everything that goes to the speakers), input 2
 * the backing track alone at unity (the playback worklet's second output). Every
 * {@link TAP_BLOCK_QUANTA} render quanta it sends one `TapBlock` (protocol/recording.ts) to the recorder
 * Worker's port, stamped with the context frame of the block's first sample.
 *
 * The audio thread must not allocate: the block buffers come from a pool of {@link TAP_POOL_SIZE} sets
 * (input, mix, backing) made when the port arrives; each set is transferred with its block and comes back with `tap-return`
 * once written. With the pool empty (the recorder fell behind) blocks are dropped and counted, and
 * `tap-dropped` says how many when the pool refills (or after about a second of drops). The message
 * object and its transfer list are reused; postMessage copies them.
 *
 * The logic lives in {@link RecordTapEngine}, a plain class Node tests drive with typed arrays.
 */
import type { RecordTapOptions, RecordTapPort } from '../protocol/audio-worklet.js';
import { RECORD_TAP_PROCESSOR_NAME } from '../protocol/audio-worklet.js';
import { TAP_BLOCK_FRAMES, TAP_POOL_SIZE, type TapBlock } from '../protocol/recording.js';
import { registerEngineProcessor, type AudioBuses, type PortLike } from './scope.js';

/** Dropped blocks reported at least this often while the drops go on (≈ 1 s). */
const DROP_REPORT_BLOCKS = 24;

export class RecordTapEngine {
  private readonly inputChannels: 1 | 2;
  private port: (RecordTapPort & PortLike) | null = null;
  private stopped = false;
  /** Free buffer pairs (a stack). */
  private readonly freeInputs: Array<Float32Array | null> = new Array<Float32Array | null>(
    TAP_POOL_SIZE,
  ).fill(null);
  private readonly freeMixes: Array<Float32Array | null> = new Array<Float32Array | null>(TAP_POOL_SIZE).fill(
    null,
  );
  private readonly freeBackings: Array<Float32Array | null> = new Array<Float32Array | null>(
    TAP_POOL_SIZE,
  ).fill(null);
  private free = 0;
  /** The pair being filled; null while the current block is being dropped. */
  private input: Float32Array | null = null;
  private mix: Float32Array | null = null;
  private backing: Float32Array | null = null;
  private blockStart = 0;
  private filled = 0;
  private dropped = 0;
  private readonly block: TapBlock;
  private readonly transfer: unknown[] = [null, null, null];

  constructor(options: Partial<RecordTapOptions> = {}) {
    this.inputChannels = options.inputChannels === 2 ? 2 : 1;
    this.block = {
      type: 'tap-block',
      contextFrame: 0,
      frames: 0,
      inputChannels: this.inputChannels,
      input: new Float32Array(0),
      mix: new Float32Array(0),
      backing: new Float32Array(0),
    };
  }

  /** A message on the node's port (from the main thread). */
  handle(data: unknown): void {
    if (typeof data !== 'object' || data === null || this.stopped) return;
    const m = data as { type?: unknown; port?: unknown };
    if (m.type === 'record-port' && isPort(m.port)) this.open(m.port);
    else if (m.type === 'record-stop') this.stop();
  }

  /** A message from the recorder (on the record port). */
  receive(data: unknown): void {
    if (typeof data !== 'object' || data === null || !this.port) return;
    const m = data as { type?: unknown; input?: unknown; mix?: unknown; backing?: unknown };
    if (m.type === 'tap-stop') this.stop();
    else if (m.type === 'tap-return') this.giveBack(m.input, m.mix, m.backing);
  }

  /**
   * One render quantum: `inputs[0]` the microphone, `inputs[1]` the mix, `inputs[2]` the backing track.
   * Returns false once stopped.
   */
  process(inputs: AudioBuses, _outputs: AudioBuses, currentFrame: number): boolean {
    if (this.stopped) return false;
    if (!this.port) return true;
    const mic = inputs[0];
    const heard = inputs[1];
    const track = inputs[2];
    const n = mic?.[0]?.length ?? heard?.[0]?.length ?? 128;
    // A block holds consecutive frames only: a skip (or a quantum that would not fit) ends it early.
    if (
      this.filled > 0 &&
      (currentFrame !== this.blockStart + this.filled || this.filled + n > TAP_BLOCK_FRAMES)
    )
      this.finish();
    if (this.filled === 0) this.begin(currentFrame);
    const input = this.input;
    const mix = this.mix;
    const backing = this.backing;
    if (input && mix && backing) {
      const at = this.filled;
      const l = mic?.[0];
      const r = mic?.[1] ?? l;
      if (!l || !r) input.fill(0, at * this.inputChannels, (at + n) * this.inputChannels);
      else if (this.inputChannels === 1) {
        // As the capture node down-mixes a stereo input (speakers interpretation).
        if (r === l) for (let i = 0; i < n; i++) input[at + i] = l[i]!;
        else for (let i = 0; i < n; i++) input[at + i] = 0.5 * (l[i]! + r[i]!);
      } else {
        for (let i = 0, o = 2 * at; i < n; i++, o += 2) {
          input[o] = l[i]!;
          input[o + 1] = r[i]!;
        }
      }
      const ml = heard?.[0];
      const mr = heard?.[1] ?? ml;
      if (!ml || !mr) mix.fill(0, 2 * at, 2 * (at + n));
      else {
        for (let i = 0, o = 2 * at; i < n; i++, o += 2) {
          mix[o] = ml[i]!;
          mix[o + 1] = mr[i]!;
        }
      }
      interleave(track, backing, at, n);
    }
    this.filled += n;
    if (this.filled >= TAP_BLOCK_FRAMES) this.finish();
    return true;
  }

  private open(port: RecordTapPort): void {
    if (this.port) return; // one recording per tap: the engine makes a new tap for the next
    const p = port as RecordTapPort & PortLike;
    this.port = p;
    p.onmessage = (event: { data: unknown }) => this.receive(event.data);
    const c = this.inputChannels;
    for (let i = 0; i < TAP_POOL_SIZE; i++) {
      this.freeInputs[i] = new Float32Array(TAP_BLOCK_FRAMES * c);
      this.freeMixes[i] = new Float32Array(TAP_BLOCK_FRAMES * 2);
      this.freeBackings[i] = new Float32Array(TAP_BLOCK_FRAMES * 2);
    }
    this.free = TAP_POOL_SIZE;
  }

  private begin(currentFrame: number): void {
    this.blockStart = currentFrame;
    if (this.free > 0) {
      const i = --this.free;
      this.input = this.freeInputs[i]!;
      this.mix = this.freeMixes[i]!;
      this.backing = this.freeBackings[i]!;
      this.freeInputs[i] = this.freeMixes[i] = this.freeBackings[i] = null;
    } else this.input = this.mix = this.backing = null;
  }

  /** Sends the block filled so far (or counts it dropped), and starts afresh at the next quantum. */
  private finish(): void {
    const port = this.port;
    const input = this.input;
    const mix = this.mix;
    const backing = this.backing;
    const frames = this.filled;
    this.filled = 0;
    this.input = this.mix = this.backing = null;
    if (!port || frames === 0) return;
    if (!input || !mix || !backing) {
      if (++this.dropped >= DROP_REPORT_BLOCKS) this.reportDrops();
      return;
    }
    if (this.dropped > 0) this.reportDrops();
    const block = this.block;
    block.contextFrame = this.blockStart;
    block.frames = frames;
    block.input = input;
    block.mix = mix;
    block.backing = backing;
    const transfer = this.transfer;
    transfer[0] = input.buffer;
    transfer[1] = mix.buffer;
    transfer[2] = backing.buffer;
    try {
      port.postMessage(block, transfer);
    } catch {
      this.dropped++; // a port that is gone: nothing to do but count
    }
    transfer[0] = transfer[1] = transfer[2] = null;
  }

  private reportDrops(): void {
    const blocks = this.dropped;
    this.dropped = 0;
    this.port?.postMessage({ type: 'tap-dropped', blocks });
  }

  private giveBack(input: unknown, mix: unknown, backing: unknown): void {
    if (
      this.free < TAP_POOL_SIZE &&
      input instanceof Float32Array &&
      mix instanceof Float32Array &&
      backing instanceof Float32Array &&
      input.length === TAP_BLOCK_FRAMES * this.inputChannels &&
      mix.length === TAP_BLOCK_FRAMES * 2 &&
      backing.length === TAP_BLOCK_FRAMES * 2
    ) {
      this.freeInputs[this.free] = input;
      this.freeMixes[this.free] = mix;
      this.freeBackings[this.free++] = backing;
    }
  }

  /** Sends what is filled, then stops for good and lets the port go. */
  private stop(): void {
    if (this.stopped) return;
    this.finish();
    if (this.dropped > 0) this.reportDrops();
    this.stopped = true;
    const port = this.port;
    this.port = null;
    if (port) {
      port.onmessage = null;
      port.close();
    }
  }
}

/** A stereo bus (mono up-mixed, none: zeros) into interleaved `out` from frame `at`. */
function interleave(bus: Float32Array[] | undefined, out: Float32Array, at: number, n: number): void {
  const l = bus?.[0];
  const r = bus?.[1] ?? l;
  if (!l || !r) {
    out.fill(0, 2 * at, 2 * (at + n));
    return;
  }
  for (let i = 0, o = 2 * at; i < n; i++, o += 2) {
    out[o] = l[i]!;
    out[o + 1] = r[i]!;
  }
}

function isPort(value: unknown): value is RecordTapPort {
  const p = value as Partial<RecordTapPort> | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.postMessage === 'function' &&
    typeof p.close === 'function'
  );
}

/** Registers `bandmesh-record-tap` when loaded in an AudioWorkletGlobalScope; a no-op elsewhere. */
export function registerRecordTapProcessor(): void {
  registerEngineProcessor<RecordTapOptions>(
    RECORD_TAP_PROCESSOR_NAME,
    ({ processorOptions }) => new RecordTapEngine(processorOptions),
  );
}

registerRecordTapProcessor();
