/**
 * The studio page's keyboard shortcuts: a pure map from a key press (and where the focus is) to an
 * action, so the rules are unit-tested without a DOM. The component (StudioShortcuts.svelte) performs it.
 */

export const SHORTCUTS = [
  { action: 'mute-me', key: 'm' },
  { action: 'chat', key: 'c' },
  { action: 'metronome', key: 't' },
  { action: 'advanced', key: 'a' },
  { action: 'help', key: '?' },
] as const;

export type ShortcutAction = (typeof SHORTCUTS)[number]['action'];

/** The parts of a KeyboardEvent that decide. */
export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  repeat?: boolean;
  isComposing?: boolean;
}

/** The parts of the focused element that decide (null: nothing focused). */
export interface FocusTarget {
  tagName: string;
  isContentEditable?: boolean;
}

/** Where keys are text being typed or a choice being made: a shortcut there would steal the key. */
const TYPING_TAGS = new Set(['INPUT', 'TEXTAREA', 'SELECT']);

export function shortcutFor(press: KeyPress, target: FocusTarget | null): ShortcutAction | null {
  if (press.ctrlKey || press.metaKey || press.altKey) return null;
  // A held key would toggle mute on and off many times a second.
  if (press.repeat || press.isComposing) return null;
  if (target && (TYPING_TAGS.has(target.tagName.toUpperCase()) || target.isContentEditable)) return null;
  // "?" needs Shift on most layouts; any other key with Shift is not ours (Shift+M is not M).
  if (press.key === '?') return 'help';
  if (press.shiftKey) return null;
  return SHORTCUTS.find((s) => s.key === press.key.toLowerCase())?.action ?? null;
}
