/**
 * Light, dark or the system's choice. The choice lives in the account's `preferences.theme` and in
 * this browser's localStorage (for signed-out pages, and so the inline script in src/app.html can
 * paint the right colours before any module loads). That script and `resolveTheme` must agree.
 */
import type PocketBase from 'pocketbase';

export const THEME_PREFERENCES = ['light', 'dark', 'system'] as const;
export type ThemePreference = (typeof THEME_PREFERENCES)[number];
export type Theme = 'light' | 'dark';

/** The localStorage key the inline script in src/app.html reads as well. */
export const THEME_STORAGE_KEY = 'bandmesh-theme';

export function parseThemePreference(value: unknown): ThemePreference | null {
  return THEME_PREFERENCES.includes(value as ThemePreference) ? (value as ThemePreference) : null;
}

export function resolveTheme(preference: ThemePreference, systemPrefersLight: boolean): Theme {
  if (preference === 'system') return systemPrefersLight ? 'light' : 'dark';
  return preference;
}

/** The theme an account record carries in `preferences.theme`, or null. */
export function accountThemePreference(record: unknown): ThemePreference | null {
  const preferences = (record as { preferences?: unknown } | null)?.preferences;
  if (!preferences || typeof preferences !== 'object') return null;
  return parseThemePreference((preferences as { theme?: unknown }).theme);
}

export interface ThemeStateOptions {
  pb: PocketBase;
  storage: Pick<Storage, 'getItem' | 'setItem'>;
  /** `matchMedia('(prefers-color-scheme: light)')`. */
  systemLight: {
    readonly matches: boolean;
    addEventListener(type: 'change', listener: () => void): void;
    removeEventListener(type: 'change', listener: () => void): void;
  };
  /** Where `data-theme` is set: `document.documentElement`. */
  root: { dataset: DOMStringMap };
}

export type SaveThemeResult = { ok: true } | { ok: false; message: string };

export class ThemeState {
  readonly #options: ThemeStateOptions;
  #preference = $state<ThemePreference>('system');
  readonly #stopAuth: () => void;
  readonly #onSystemChange = () => this.#apply();

  constructor(options: ThemeStateOptions) {
    this.#options = options;
    this.#preference =
      accountThemePreference(options.pb.authStore.record) ??
      parseThemePreference(options.storage.getItem(THEME_STORAGE_KEY)) ??
      'system';
    this.#apply();
    options.systemLight.addEventListener('change', this.#onSystemChange);
    // Signing in on another device brings the account's choice with it.
    this.#stopAuth = options.pb.authStore.onChange((_token, record) => {
      const fromAccount = accountThemePreference(record);
      if (fromAccount && fromAccount !== this.#preference) this.#set(fromAccount);
    });
  }

  get preference(): ThemePreference {
    return this.#preference;
  }

  /** Applies the choice at once, remembers it in this browser, and saves it to the account if signed in. */
  async choose(preference: ThemePreference): Promise<SaveThemeResult> {
    this.#set(preference);
    const { pb } = this.#options;
    const record = pb.authStore.isValid ? pb.authStore.record : null;
    if (!record) return { ok: true };
    const current = (record as { preferences?: unknown }).preferences;
    const preferences = current && typeof current === 'object' && !Array.isArray(current) ? current : {};
    try {
      await pb.collection('users').update(record.id, { preferences: { ...preferences, theme: preference } });
      return { ok: true };
    } catch {
      return {
        ok: false,
        message: 'Could not save this to your account; it applies in this browser only for now.',
      };
    }
  }

  dispose(): void {
    this.#stopAuth();
    this.#options.systemLight.removeEventListener('change', this.#onSystemChange);
  }

  #set(preference: ThemePreference): void {
    this.#preference = preference;
    this.#options.storage.setItem(THEME_STORAGE_KEY, preference);
    this.#apply();
  }

  #apply(): void {
    this.#options.root.dataset.theme = resolveTheme(this.#preference, this.#options.systemLight.matches);
  }
}
