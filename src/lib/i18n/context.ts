/**
 * The current language's translator, handed from the root layout to components through Svelte
 * context, so presentational components translate without reaching for the app's state.
 */
import type { TFunction } from 'i18next';
import { getContext, setContext } from 'svelte';
import type { FormError } from './form-error';

export interface Translator {
  readonly locale: string;
  /** Reading it inside a template or `$derived` makes that text follow a language switch. */
  readonly t: TFunction;
  /** The app's own error sentences in the current language; server text as sent. */
  error(error: FormError): FormError;
}

const KEY = Symbol('bandmesh-i18n');

export function setTranslator(translator: Translator): Translator {
  return setContext(KEY, translator);
}

export function getTranslator(): Translator {
  const translator = getContext<Translator | undefined>(KEY);
  if (!translator) throw new Error('getTranslator() called outside the root layout');
  return translator;
}

/** The context map that provides a translator to `svelte/server`'s `render` (component tests). */
export function translatorContext(translator: Translator): Map<symbol, Translator> {
  return new Map([[KEY, translator]]);
}
