import PocketBase, { BaseAuthStore } from 'pocketbase';
import { describe, expect, it } from 'vitest';
import { accountThemePreference, resolveTheme, THEME_STORAGE_KEY, ThemeState } from './theme.svelte';

/** Browser pieces the state touches, as plain objects: a storage, a media query, a root element. */
function browser(systemLight: boolean, stored: string | null = null) {
  const items = new Map<string, string>(stored === null ? [] : [[THEME_STORAGE_KEY, stored]]);
  const listeners = new Set<() => void>();
  const media = {
    matches: systemLight,
    addEventListener: (_: string, f: () => void) => listeners.add(f),
    removeEventListener: (_: string, f: () => void) => listeners.delete(f),
  };
  return {
    storage: {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => items.set(k, v),
    },
    items,
    systemLight: media,
    flipSystem(light: boolean) {
      media.matches = light;
      for (const f of listeners) f();
    },
    listeners,
    root: { dataset: {} as DOMStringMap },
  };
}

function offlinePb(): PocketBase {
  return new PocketBase('http://127.0.0.1:9', new BaseAuthStore());
}

describe('resolveTheme', () => {
  it('follows the system only for "system"', () => {
    expect(resolveTheme('system', true)).toBe('light');
    expect(resolveTheme('system', false)).toBe('dark');
    expect(resolveTheme('dark', true)).toBe('dark');
    expect(resolveTheme('light', false)).toBe('light');
  });
});

describe('accountThemePreference', () => {
  it('reads only a known value from preferences', () => {
    expect(accountThemePreference({ preferences: { theme: 'light' } })).toBe('light');
    expect(accountThemePreference({ preferences: { theme: '</style>' } })).toBeNull();
    expect(accountThemePreference({ preferences: null })).toBeNull();
    expect(accountThemePreference(null)).toBeNull();
  });
});

describe('ThemeState', () => {
  it("starts from this browser's choice and follows the system when asked to", () => {
    const b = browser(false, 'system');
    const state = new ThemeState({ pb: offlinePb(), ...b });
    expect(b.root.dataset.theme).toBe('dark');
    b.flipSystem(true);
    expect(b.root.dataset.theme).toBe('light');
    state.dispose();
    expect(b.listeners.size).toBe(0);
  });

  it('ignores a stored value it does not know', () => {
    const b = browser(true, 'purple');
    const state = new ThemeState({ pb: offlinePb(), ...b });
    expect(state.preference).toBe('system');
    expect(b.root.dataset.theme).toBe('light');
    state.dispose();
  });

  it('applies and remembers a choice made while signed out', async () => {
    const b = browser(false);
    const state = new ThemeState({ pb: offlinePb(), ...b });
    expect(await state.choose('light')).toEqual({ ok: true });
    expect(b.root.dataset.theme).toBe('light');
    expect(b.items.get(THEME_STORAGE_KEY)).toBe('light');
    b.flipSystem(false);
    expect(b.root.dataset.theme).toBe('light');
    state.dispose();
  });

  it("takes the account's choice when someone signs in, and mirrors it for the next page load", () => {
    const b = browser(false, 'dark');
    const pb = offlinePb();
    const state = new ThemeState({ pb, ...b });
    pb.authStore.save('token', {
      id: 'u1',
      collectionId: 'x',
      collectionName: 'users',
      preferences: { theme: 'light' },
    });
    expect(state.preference).toBe('light');
    expect(b.root.dataset.theme).toBe('light');
    expect(b.items.get(THEME_STORAGE_KEY)).toBe('light');
    state.dispose();
  });
});
