/**
 * The audio controls of a studio visit as reactive state: engine state, settings, devices, and once-a-
 * second figures (latency, path) for the UI. Wraps the session's StudioAudio; does not own it.
 */
import { createSubscriber } from 'svelte/reactivity';
import { listDevices, type DeviceList } from '../audio/devices';
import type { EffectSettings } from '../protocol/effects';
import type { AudioSettings } from '../session/audio-settings';
import type { AudioState, RemotePath, StudioAudio } from '../session/studio-audio';
import { FrameClock } from './frame-clock';

const SETTINGS_KEY = 'bandmesh.audio-settings';

export class AudioRoom {
  readonly #audio: StudioAudio;
  readonly #subscribeState: () => void;
  readonly #subscribeTick: () => void;
  readonly #subscribeFrame: () => void;
  readonly #frames = new FrameClock();
  #devices = $state<DeviceList>({ inputs: [], outputs: [], canChooseOutput: false });
  #outputId = $state('');
  #error = $state<string | null>(null);
  readonly #storage: Storage | null;

  constructor(audio: StudioAudio, options: { storage?: Storage | null } = {}) {
    this.#audio = audio;
    const saved = readSettings(options.storage ?? null);
    if (saved) void audio.update({ ...audio.settings, ...saved });
    this.#storage = options.storage ?? null;
    this.#subscribeState = createSubscriber((update) => audio.events.on('state', update));
    this.#subscribeTick = createSubscriber((update) => {
      const timer = setInterval(update, 1000);
      return () => clearInterval(timer);
    });
    this.#subscribeFrame = createSubscriber((update) => this.#frames.subscribe(update));
  }

  get state(): AudioState {
    this.#subscribeState();
    return this.#audio.state;
  }

  get settings(): AudioSettings {
    this.#subscribeState();
    return this.#audio.settings;
  }

  get devices(): DeviceList {
    return this.#devices;
  }

  get outputId(): string {
    return this.#outputId;
  }

  /** Device or settings errors that did not stop the audio, in words. */
  get error(): string | null {
    return this.#error;
  }

  async start(): Promise<void> {
    await this.#audio.start();
    if (this.#audio.state.kind === 'on') {
      // Labels are only visible after the microphone permission: list devices now.
      this.#devices = await listDevices(this.#audio.engine?.context ?? null);
    }
  }

  stop(): void {
    this.#audio.stop();
  }

  async change(settings: Partial<AudioSettings>): Promise<void> {
    const next = { ...this.#audio.settings, ...settings };
    this.#error = null;
    try {
      await this.#audio.update(next);
      this.#storage?.setItem(SETTINGS_KEY, JSON.stringify(next));
    } catch (error) {
      this.#error = error instanceof Error ? error.message : String(error);
    }
  }

  async chooseOutput(deviceId: string): Promise<void> {
    try {
      await this.#audio.engine?.setOutput(deviceId);
      this.#outputId = deviceId;
    } catch (error) {
      this.#error = error instanceof Error ? error.message : String(error);
    }
  }

  setEffects(settings: EffectSettings): void {
    this.#audio.setEffects(settings);
  }

  setInputGainDb(db: number): void {
    this.#audio.engine?.setInputGainDb(db);
  }

  /** Refreshed on animation frames at about 30 Hz while rendered and visible (FrameClock). */
  inputLevel(): { peak: number; rms: number } | null {
    this.#subscribeFrame();
    return this.#audio.inputLevel();
  }

  /** Refreshed every second while rendered. */
  latencyOf(userId: string): number | null {
    this.#subscribeTick();
    return this.#audio.latencyOf(userId);
  }

  /** How a player's audio reaches us; 'off' once it stopped (StudioAudio.pathOf). Refreshed every second. */
  pathOf(userId: string): RemotePath | null {
    this.#subscribeTick();
    return this.#audio.pathOf(userId);
  }
}

function readSettings(storage: Storage | null): Partial<AudioSettings> | null {
  try {
    const raw = storage?.getItem(SETTINGS_KEY);
    const value: unknown = raw ? JSON.parse(raw) : null;
    if (typeof value !== 'object' || value === null) return null;
    const v = value as Record<string, unknown>;
    const out: Partial<AudioSettings> = {};
    if (v.codec === 'opus' || v.codec === 'pcm') out.codec = v.codec;
    if (v.frameMs === 2.5 || v.frameMs === 5 || v.frameMs === 10) out.frameMs = v.frameMs;
    if (v.channels === 1 || v.channels === 2) out.channels = v.channels;
    if (typeof v.voiceProcessing === 'boolean') out.voiceProcessing = v.voiceProcessing;
    if (typeof v.autoFrame === 'boolean') out.autoFrame = v.autoFrame;
    if (v.transport === 'auto' || v.transport === 'track') out.transport = v.transport;
    if (v.bitrate === 64_000 || v.bitrate === 96_000 || v.bitrate === 128_000 || v.bitrate === 192_000) {
      out.bitrate = v.bitrate;
    }
    if (typeof v.inputDeviceId === 'string') out.inputDeviceId = v.inputDeviceId;
    return out;
  } catch {
    return null; // unreadable settings: start from the defaults
  }
}
