/**
 * The audio controls of a studio visit as reactive state: engine state, settings, devices, and once-a-
 * second figures (latency, path) for the UI. Wraps the session's StudioAudio; does not own it.
 */
import { createSubscriber } from 'svelte/reactivity';
import { listDevices, type DeviceList } from '../audio/devices';
import type { EffectSettings } from '../protocol/effects';
import type { AudioSettings } from '../session/audio-settings';
import type { AudioState, RemotePath, StudioAudio } from '../session/studio-audio';
import type { AccountPreferences } from './account-preferences';
import { FrameClock } from './frame-clock';

const SETTINGS_KEY = 'bandmesh.audio-settings';
/** The account's `preferences` key: the same value, so the settings follow the player to another browser. */
const PREFERENCES_KEY = 'audio';

/** What is remembered: the audio settings and the chosen output device. */
type SavedAudio = Partial<AudioSettings> & { outputDeviceId?: string };

export class AudioRoom {
  readonly #audio: StudioAudio;
  readonly #subscribeState: () => void;
  readonly #subscribeTick: () => void;
  readonly #subscribeFrame: () => void;
  readonly #frames = new FrameClock();
  #devices = $state<DeviceList>({ inputs: [], outputs: [], canChooseOutput: false });
  #outputId = $state('');
  #error = $state<string | null>(null);
  #inputGainDb = $state(0);
  #muted = $state(false);
  readonly #storage: Storage | null;
  readonly #account: AccountPreferences | null;
  /** An output chosen in an earlier visit, applied once the device list shows it exists here. */
  #savedOutputId: string | undefined;

  constructor(
    audio: StudioAudio,
    options: { storage?: Storage | null; account?: AccountPreferences | null } = {},
  ) {
    this.#audio = audio;
    this.#storage = options.storage ?? null;
    this.#account = options.account ?? null;
    // The account's copy wins: it is what the player chose last, wherever they chose it.
    const saved = parseSaved(this.#account?.get(PREFERENCES_KEY)) ?? parseSaved(readJson(this.#storage));
    if (saved) {
      const { outputDeviceId, ...settings } = saved;
      this.#savedOutputId = outputDeviceId;
      void audio.update({ ...audio.settings, ...settings });
    }
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
      const output = this.#savedOutputId;
      // Device ids differ between browsers and machines: use a saved one only where it exists.
      if (output && this.#devices.canChooseOutput && this.#devices.outputs.some((d) => d.id === output)) {
        await this.chooseOutput(output, { remember: false });
      }
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
      this.#remember();
    } catch (error) {
      this.#error = error instanceof Error ? error.message : String(error);
    }
  }

  async chooseOutput(deviceId: string, { remember = true } = {}): Promise<void> {
    try {
      await this.#audio.engine?.setOutput(deviceId);
      this.#outputId = deviceId;
      if (remember) {
        this.#savedOutputId = deviceId || undefined;
        this.#remember();
      }
    } catch (error) {
      this.#error = error instanceof Error ? error.message : String(error);
    }
  }

  /** This browser at once; the account in the background (a failure there keeps the local copy). */
  #remember(): void {
    const saved: SavedAudio = { ...this.#audio.settings };
    if (this.#savedOutputId) saved.outputDeviceId = this.#savedOutputId;
    this.#storage?.setItem(SETTINGS_KEY, JSON.stringify(saved));
    void this.#account?.save(PREFERENCES_KEY, saved);
  }

  setEffects(settings: EffectSettings): void {
    this.#audio.setEffects(settings);
  }

  /** The input gain in dB (also while audio is off: it applies when it starts). */
  get inputGainDb(): number {
    return this.#inputGainDb;
  }

  setInputGainDb(db: number): void {
    this.#inputGainDb = db;
    this.#audio.setInputGainDb(db);
  }

  /** "Mute me": the others hear nothing from this player until it is turned off. */
  get muted(): boolean {
    return this.#muted;
  }

  setMuted(muted: boolean): void {
    this.#muted = muted;
    this.#audio.setInputMuted(muted);
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

function readJson(storage: Storage | null): unknown {
  try {
    const raw = storage?.getItem(SETTINGS_KEY);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null; // unreadable settings: start from the defaults
  }
}

/** Saved settings are untrusted JSON (another browser, an older version, a hand edit): known values only. */
export function parseSaved(value: unknown): SavedAudio | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const out: SavedAudio = {};
  if (v.codec === 'opus' || v.codec === 'pcm') out.codec = v.codec;
  if (v.frameMs === 2.5 || v.frameMs === 5 || v.frameMs === 10) out.frameMs = v.frameMs;
  if (v.channels === 1 || v.channels === 2) out.channels = v.channels;
  if (typeof v.voiceProcessing === 'boolean') out.voiceProcessing = v.voiceProcessing;
  if (typeof v.autoFrame === 'boolean') out.autoFrame = v.autoFrame;
  if (v.transport === 'auto' || v.transport === 'track') out.transport = v.transport;
  if (v.bitrate === 64_000 || v.bitrate === 96_000 || v.bitrate === 128_000 || v.bitrate === 192_000) {
    out.bitrate = v.bitrate;
  }
  if (typeof v.inputDeviceId === 'string' && v.inputDeviceId.length <= 256)
    out.inputDeviceId = v.inputDeviceId;
  if (typeof v.outputDeviceId === 'string' && v.outputDeviceId.length <= 256) {
    out.outputDeviceId = v.outputDeviceId;
  }
  return out;
}
