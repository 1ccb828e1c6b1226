/** A player's audio settings, their defaults, and what the audio Worker is told of them. */
import { AUDIO_SAMPLE_RATE } from '../protocol/audio-frame';
import type { SendSettings, TransportCodec } from '../protocol/audio-worker';
import type { InputOptions } from '../audio/devices';

export interface AudioSettings {
  codec: TransportCodec;
  /** 2.5, 5 or 10. */
  frameMs: number;
  channels: 1 | 2;
  bitrate: number;
  /** Opus only: every frame carries a redundant copy of the previous one (see audio-frame.ts). */
  fec: boolean;
  voiceProcessing: boolean;
  inputDeviceId?: string | undefined;
  /** Step up from the chosen frame size when this machine cannot keep up (see FrameSizePolicy). */
  autoFrame: boolean;
  /** `track` forces the WebRTC audio track path with every peer (for comparison); absent = `auto`. */
  transport?: 'auto' | 'track';
}

export const DEFAULT_AUDIO_SETTINGS: AudioSettings = {
  codec: 'opus',
  frameMs: 2.5,
  channels: 1,
  bitrate: 96_000,
  fec: true,
  voiceProcessing: false,
  autoFrame: true,
};

export function sendSettingsFor(settings: AudioSettings): SendSettings {
  return {
    codec: settings.codec,
    frameSamples: Math.round((settings.frameMs * AUDIO_SAMPLE_RATE) / 1000),
    channels: settings.channels,
    bitrate: settings.bitrate,
    fec: settings.fec,
  };
}

/** What the microphone is opened with. */
export function inputOptionsFor(settings: AudioSettings): InputOptions {
  return {
    deviceId: settings.inputDeviceId,
    channels: settings.channels,
    voiceProcessing: settings.voiceProcessing,
  };
}

export function dbToGain(db: number): number {
  return db <= -60 ? 0 : 10 ** (db / 20);
}
