/** A form's error as the app shows it, with the catalogue keys of the sentences the app wrote itself. */
import type { en } from './locales/en';

export type ErrorKey = keyof typeof en.errors;

export interface FormError {
  message: string;
  fields: Record<string, string>;
  /** Catalogue keys (`errors.*`) of `message` and of each field message, where the app has its own sentence. */
  keys?: { message?: ErrorKey; fields: Record<string, ErrorKey> };
}
