import { describe, expect, it } from 'vitest';
import { shortcutFor, type KeyPress } from './studio-shortcuts';

const press = (key: string, more: Partial<KeyPress> = {}): KeyPress => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...more,
});
const body = { tagName: 'BODY' };

describe('shortcutFor', () => {
  it('maps the listed keys to their actions, on the page or on a button', () => {
    expect(shortcutFor(press('m'), body)).toBe('mute-me');
    expect(shortcutFor(press('c'), { tagName: 'BUTTON' })).toBe('chat');
    expect(shortcutFor(press('t'), null)).toBe('metronome');
    expect(shortcutFor(press('a'), body)).toBe('advanced');
    expect(shortcutFor(press('?', { shiftKey: true }), body)).toBe('help');
    // Caps Lock on: the same key.
    expect(shortcutFor(press('M'), body)).toBe('mute-me');
  });

  it('never fires while typing or choosing in a field', () => {
    for (const tagName of ['INPUT', 'TEXTAREA', 'SELECT', 'input']) {
      expect(shortcutFor(press('m'), { tagName })).toBeNull();
      expect(shortcutFor(press('?', { shiftKey: true }), { tagName })).toBeNull();
    }
    expect(shortcutFor(press('c'), { tagName: 'DIV', isContentEditable: true })).toBeNull();
  });

  it('leaves keys with modifiers to the browser and the system', () => {
    expect(shortcutFor(press('m', { ctrlKey: true }), body)).toBeNull();
    expect(shortcutFor(press('c', { metaKey: true }), body)).toBeNull();
    expect(shortcutFor(press('a', { altKey: true }), body)).toBeNull();
    expect(shortcutFor(press('M', { shiftKey: true }), body)).toBeNull();
  });

  it('ignores held keys, composition and keys it does not know', () => {
    expect(shortcutFor(press('m', { repeat: true }), body)).toBeNull();
    expect(shortcutFor(press('m', { isComposing: true }), body)).toBeNull();
    expect(shortcutFor(press('x'), body)).toBeNull();
    expect(shortcutFor(press(' '), body)).toBeNull();
    expect(shortcutFor(press('Escape'), body)).toBeNull();
  });
});
