/**
 * Main-thread wrappers of the two AudioWorkletProcessors. Each owns its node and disposes it once.
 */
import {
  AUDIO_WORKLET_VERSION,
  CAPTURE_PROCESSOR_NAME,
  PLAYBACK_PROCESSOR_NAME,
  type CaptureCommand,
  type InitMessage,
  type PlaybackCommand,
  type WorkletEvent,
} from '../protocol/audio-worklet';

abstract class BandmeshNode<Command> extends AudioWorkletNode {
  #disposed = false;

  post(command: Command, transfer: Transferable[] = []): void {
    if (!this.#disposed) this.port.postMessage(command, transfer);
  }

  onEvent(listener: (event: WorkletEvent) => void): void {
    this.port.onmessage = (message: MessageEvent<WorkletEvent>) => listener(message.data);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.port.onmessage = null;
    this.port.close();
    this.disconnect();
  }
}

/**
 * Mic in → frames to the encoder (ring or port), input meter; output 0 is direct monitoring, output 1
 * the send signal (what is framed) for the track path.
 */
export class CaptureNode extends BandmeshNode<CaptureCommand> {
  static readonly SEND_OUTPUT = 1;

  constructor(context: AudioContext, init: Omit<InitMessage, 'type' | 'version'>) {
    super(context, CAPTURE_PROCESSOR_NAME, {
      numberOfInputs: 1,
      numberOfOutputs: 2,
      outputChannelCount: [2, init.channels ?? 1],
      channelCount: init.channels ?? 1,
      channelCountMode: 'explicit',
    });
    this.post({ type: 'init', version: AUDIO_WORKLET_VERSION, ...init });
  }
}

/** Every peer's jitter buffer and the personal mix, out to the speakers. */
export class PlaybackNode extends BandmeshNode<PlaybackCommand> {
  constructor(context: AudioContext, init: Omit<InitMessage, 'type' | 'version'>) {
    super(context, PLAYBACK_PROCESSOR_NAME, {
      numberOfInputs: 0,
      // 0: the personal mix; 1: the backing track alone at unity (a recording's backing stem).
      numberOfOutputs: 2,
      outputChannelCount: [2, 2],
    });
    this.post({ type: 'init', version: AUDIO_WORKLET_VERSION, ...init });
  }
}
