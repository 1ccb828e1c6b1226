/**
 * Bundler entry points of the audio threads: the AudioWorklet modules and the network Worker.
 * Kept apart so the rest of the audio code stays importable in Node tests.
 */
import detectorUrl from '../worklet/detector-processor.ts?worker&url';
import captureUrl from '../worklet/capture-processor.ts?worker&url';
import playbackUrl from '../worklet/playback-processor.ts?worker&url';
import recordTapUrl from '../worklet/record-tap-processor.ts?worker&url';
import AudioNetWorker from './worker/audio-net.worker.ts?worker';

export function audioAssets(): {
  workletUrls: { capture: string; playback: string; detector: string; recordTap: string };
  createWorker: () => Worker;
} {
  return {
    workletUrls: {
      capture: captureUrl,
      playback: playbackUrl,
      detector: detectorUrl,
      recordTap: recordTapUrl,
    },
    createWorker: () => new AudioNetWorker(),
  };
}
