/**
 * Sentences deep code (audio engine, session) writes in English and the studio page shows as they
 * come. Rather than hand a translator down to the audio engine, the page maps the ones it knows to
 * the catalogue; anything else (a browser's own error text) shows as sent.
 */
import type { TFunction } from 'i18next';
import { NO_OUTPUT_MESSAGE, NO_WORKLET_MESSAGE } from '../audio/context-start';
import { en } from '../i18n/locales/en';

// The catalogue's English must stay the text the code writes, so the lookup finds it.
const KNOWN = {
  [NO_OUTPUT_MESSAGE]: 'known.noOutput',
  [NO_WORKLET_MESSAGE]: 'known.noWorklet',
  [en.known.noSinkId]: 'known.noSinkId',
} as const satisfies Record<string, `known.${keyof typeof en.known}`>;

export function knownSentence(message: string, t: TFunction): string {
  const key = (KNOWN as Record<string, `known.${keyof typeof en.known}` | undefined>)[message];
  return key ? t(key) : message;
}
