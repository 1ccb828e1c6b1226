/// <reference lib="webworker" />
/** Entry of the audio network Worker: one AudioNet, driven by messages from the engine. */
import type { FromAudioWorker, ToAudioWorker } from '../../protocol/audio-worker';
import { AudioNet } from './audio-net';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const net = new AudioNet((message: FromAudioWorker, transfer: Transferable[] = []) =>
  scope.postMessage(message, transfer),
);
scope.onmessage = (event: MessageEvent<ToAudioWorker>) => net.handle(event.data);
