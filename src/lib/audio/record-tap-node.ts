/**
 * Main-thread wrapper of the `bandmesh-record-tap` worklet (worklet/record-tap-processor.ts): one per
 * recording. It is given the recorder Worker's port once, sends it blocks until dispose(), and is then
 * of no further use (the engine makes a new one for the next take).
 */
import {
  RECORD_TAP_PROCESSOR_NAME,
  type RecordTapCommand,
  type RecordTapOptions,
} from '../protocol/audio-worklet';

export class RecordTapNode extends AudioWorkletNode {
  #disposed = false;

  constructor(context: BaseAudioContext, options: RecordTapOptions) {
    super(context, RECORD_TAP_PROCESSOR_NAME, {
      // The microphone, the mix as heard, the backing track alone (engine.openRecordTap).
      numberOfInputs: 3,
      numberOfOutputs: 0,
      // All inputs stereo: a mono source is up-mixed (L = R); the tap down-mixes a mono stem itself.
      channelCount: 2,
      channelCountMode: 'explicit',
      channelInterpretation: 'speakers',
      processorOptions: options,
    });
  }

  /** Hands the tap the port its blocks go to (transferred). */
  open(port: MessagePort): void {
    if (this.#disposed) {
      port.close();
      return;
    }
    this.#post({ type: 'record-port', port }, [port]);
  }

  /** Stops the tap (it sends the block it has) and disconnects it. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#post({ type: 'record-stop' });
    this.#disposed = true;
    this.port.close();
    this.disconnect();
  }

  #post(command: RecordTapCommand, transfer: Transferable[] = []): void {
    this.port.postMessage(command, transfer);
  }
}
