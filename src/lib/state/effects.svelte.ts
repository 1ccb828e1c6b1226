/**
 * The player's input effects as reactive state: what the Effects panel shows and changes. Settings
 * live in the account's `preferences.effects` (so they follow the player to another browser) and in
 * this browser's localStorage (for signed-out use, and as the fallback when the account has none).
 * Whatever is read back is checked with `parseEffectSettings`: a stored value is never trusted.
 */
import type PocketBase from 'pocketbase';
import type { EffectsView } from '../components/EffectsPanel.svelte';
import {
  DEFAULT_EFFECTS,
  EFFECT_RANGES,
  PRESET_NAMES,
  PRESETS,
  parseEffectSettings,
  type EffectSettings,
  type PresetName,
} from '../protocol/effects';

export const EFFECTS_STORAGE_KEY = 'bandmesh.effects';
/** Per account in a shared browser; the bare key when signed out. */
export const effectsStorageKey = (userId: string | null) =>
  userId ? `${EFFECTS_STORAGE_KEY}.${userId}` : EFFECTS_STORAGE_KEY;
/** Account saves wait this long after the last change (a slider drag is many changes). */
const SAVE_DELAY_MS = 600;
/**
 * At most one `effects` message per this many ms (a slider drag fires an input event per frame; each
 * message is parsed on the audio thread): the first change goes at once, later ones trail.
 */
const APPLY_INTERVAL_MS = 50;

type Section = keyof EffectSettings;

export interface EffectsStateOptions {
  /** The account to save to; null (tests, no account) keeps them in this browser only. */
  pb: PocketBase | null;
  storage: Pick<Storage, 'getItem' | 'setItem'> | null;
  /** Where the settings go to be heard: the audio engine (AudioRoom.setEffects). */
  apply: (settings: EffectSettings) => void;
}

/** The effects an account record carries in `preferences.effects`, or null when absent or invalid. */
export function accountEffects(record: unknown): EffectSettings | null {
  const preferences = (record as { preferences?: unknown } | null)?.preferences;
  if (!preferences || typeof preferences !== 'object') return null;
  const parsed = parseEffectSettings((preferences as { effects?: unknown }).effects);
  return parsed.ok ? parsed.settings : null;
}

function storedEffects(storage: EffectsStateOptions['storage'], key: string): EffectSettings | null {
  try {
    const raw = storage?.getItem(key);
    if (!raw) return null;
    const parsed = parseEffectSettings(JSON.parse(raw));
    return parsed.ok ? parsed.settings : null;
  } catch {
    return null;
  }
}

const isPresetName = (name: string): name is PresetName => (PRESET_NAMES as readonly string[]).includes(name);

export class EffectsState implements EffectsView {
  readonly #options: EffectsStateOptions;
  // Raw: the object is replaced on every change and posted to the worklet (a proxy cannot be cloned).
  #settings = $state.raw<EffectSettings>(DEFAULT_EFFECTS);
  #preset = $state<PresetName | null>(null);
  #saveError = $state<string | null>(null);
  #timer: ReturnType<typeof setTimeout> | null = null;
  readonly #storageKey: string;
  #applyTimer: ReturnType<typeof setTimeout> | null = null;
  #lastApply = -Infinity;

  constructor(options: EffectsStateOptions) {
    this.#options = options;
    const record = options.pb?.authStore.isValid ? options.pb.authStore.record : null;
    this.#storageKey = effectsStorageKey(record?.id ?? null);
    this.#settings =
      accountEffects(record) ?? storedEffects(options.storage, this.#storageKey) ?? DEFAULT_EFFECTS;
    options.apply(this.#settings);
  }

  readonly ranges = EFFECT_RANGES;
  readonly presets = PRESET_NAMES;

  get settings(): EffectSettings {
    return this.#settings;
  }

  /** The preset last chosen, until a control is moved. */
  get preset(): PresetName | null {
    return this.#preset;
  }

  /** Why the last account save failed, in words; null when it worked (or nothing was saved yet). */
  get saveError(): string | null {
    return this.#saveError;
  }

  /** Changes fields of one effect (e.g. `('eq', { midDb: 3 })`), hears it at once, saves it. */
  change(section: Section, fields: Record<string, number | boolean>): void {
    const next = { ...this.#settings, [section]: { ...this.#settings[section], ...fields } };
    const parsed = parseEffectSettings(next);
    if (!parsed.ok) return; // the controls' ranges are the parser's: only a bug gets here
    this.#preset = null;
    this.#set(parsed.settings);
  }

  choosePreset(name: string): void {
    if (!isPresetName(name)) return;
    this.#set(PRESETS[name]);
    this.#preset = name;
  }

  /** Sends any pending account save now (leaving the page). */
  async flush(): Promise<void> {
    if (this.#timer === null) return;
    clearTimeout(this.#timer);
    this.#timer = null;
    await this.#saveToAccount();
  }

  dispose(): void {
    if (this.#applyTimer !== null) clearTimeout(this.#applyTimer);
    this.#applyTimer = null;
    void this.flush();
  }

  #set(settings: EffectSettings): void {
    this.#settings = settings;
    this.#applySoon();
    this.#options.storage?.setItem(this.#storageKey, JSON.stringify(settings));
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#saveToAccount();
    }, SAVE_DELAY_MS);
  }

  #applySoon(): void {
    if (this.#applyTimer !== null) return; // the pending trailing apply will send the latest
    const wait = this.#lastApply + APPLY_INTERVAL_MS - Date.now();
    const send = () => {
      this.#applyTimer = null;
      this.#lastApply = Date.now();
      this.#options.apply(this.#settings);
    };
    if (wait <= 0) send();
    else this.#applyTimer = setTimeout(send, wait);
  }

  async #saveToAccount(): Promise<void> {
    const { pb } = this.#options;
    const record = pb?.authStore.isValid ? pb.authStore.record : null;
    if (!pb || !record) return;
    const current = (record as { preferences?: unknown }).preferences;
    const preferences = current && typeof current === 'object' && !Array.isArray(current) ? current : {};
    try {
      await pb
        .collection('users')
        .update(record.id, { preferences: { ...preferences, effects: this.#settings } });
      this.#saveError = null;
    } catch {
      this.#saveError =
        'Could not save your effects to your account; they apply in this browser only for now.';
    }
  }
}
