import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NO_OUTPUT_MESSAGE, NO_WORKLET_MESSAGE } from '../audio/context-start';
import { knownSentence } from './known-sentences';
import { en } from '../i18n/locales/en';
import { testTranslator } from '../i18n/test-translator';

describe('knownSentence', () => {
  it('words the audio engine’s own sentences in the reader’s language, others as sent', () => {
    const english = testTranslator('en').t;
    const french = testTranslator('fr').t;
    expect(knownSentence(NO_OUTPUT_MESSAGE, english)).toBe(NO_OUTPUT_MESSAGE);
    expect(knownSentence(NO_OUTPUT_MESSAGE, french)).toMatch(/^Votre navigateur n’a pas pu démarrer l’audio/);
    expect(knownSentence(en.known.noSinkId, french)).toBe(
      'Ce navigateur ne permet pas de choisir la sortie audio.',
    );
    expect(knownSentence(NO_WORKLET_MESSAGE, french)).toMatch(
      /^Ce navigateur ne peut pas faire tourner l’audio/,
    );
    expect(knownSentence('NotAllowedError: Permission denied', french)).toBe(
      'NotAllowedError: Permission denied',
    );
  });

  it('keeps the catalogue’s English equal to what the engine writes', () => {
    expect(readFileSync('src/lib/audio/engine.ts', 'utf8')).toContain(`'${en.known.noSinkId}'`);
  });
});
