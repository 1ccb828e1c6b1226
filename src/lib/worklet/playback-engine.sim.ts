/**
 * Test support (not shipped): a PlaybackEngine initialised in shared-memory mode, as the app runs it,
 * with the buffers a test writes packets into and reads status and params from.
 */
import {
  PACKET_RINGS_BYTES,
  PARAM_BYTES,
  STATUS_BYTES,
  ParamBlock,
  StatusBlock,
} from '../protocol/audio-layout.js';
import { AUDIO_WORKLET_VERSION } from '../protocol/audio-worklet.js';
import { PlaybackEngine, type EngineOptions } from './playback-processor.js';

export function sharedPlaybackEngine(post: EngineOptions['post'] = () => {}, sampleRate = 48000) {
  const engine = new PlaybackEngine({ sampleRate, post });
  const buffers = {
    packets: new SharedArrayBuffer(PACKET_RINGS_BYTES),
    status: new SharedArrayBuffer(STATUS_BYTES),
    params: new SharedArrayBuffer(PARAM_BYTES),
  };
  const params = new ParamBlock(buffers.params);
  params.reset();
  engine.handle({
    type: 'init',
    version: AUDIO_WORKLET_VERSION,
    fallback: false,
    buffers,
    frameSamples: 120,
  });
  return { engine, buffers, params, status: new StatusBlock(buffers.status) };
}
