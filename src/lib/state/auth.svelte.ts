/**
 * Who is signed in, as reactive state. Wraps PocketBase's auth store (which persists the session in
 * localStorage) and turns failures into form errors a person understands.
 */
import type PocketBase from 'pocketbase';
import { createSubscriber } from 'svelte/reactivity';
import { describeError, type FormError } from '../pb/errors';

export interface CurrentUser {
  id: string;
  email: string;
  name: string;
  instruments: string[];
  /** Whether the address is confirmed by mail (docs/pocketbase.md#mail). */
  verified: boolean;
}

export interface SignUpInput {
  name: string;
  email: string;
  password: string;
  instrument: string;
  /** The language the app is shown in, so the first mail (verification) goes out in it. */
  language?: string;
}

export type FormResult = { ok: true } | { ok: false; error: FormError };

export class AuthState {
  readonly #pb: PocketBase;
  readonly #subscribe: () => void;

  constructor(pb: PocketBase) {
    this.#pb = pb;
    this.#subscribe = createSubscriber((update) => pb.authStore.onChange(update));
  }

  get user(): CurrentUser | null {
    this.#subscribe();
    const record = this.#pb.authStore.isValid ? this.#pb.authStore.record : null;
    if (!record) return null;
    return {
      id: record.id,
      email: String(record.email ?? ''),
      name: String(record.name ?? '') || 'Anonymous player',
      instruments: Array.isArray(record.instruments) ? record.instruments.map(String) : [],
      verified: record.verified === true,
    };
  }

  async signUp(input: SignUpInput): Promise<FormResult> {
    try {
      await this.#pb.collection('users').create({
        name: input.name.trim(),
        email: input.email.trim(),
        password: input.password,
        passwordConfirm: input.password,
        instruments: input.instrument.trim() ? [input.instrument.trim()] : [],
        ...(input.language ? { preferences: { language: input.language } } : {}),
      });
    } catch (error) {
      return { ok: false, error: describeError(error) };
    }
    return this.logIn(input.email, input.password);
  }

  async logIn(email: string, password: string): Promise<FormResult> {
    try {
      await this.#pb.collection('users').authWithPassword(email.trim(), password);
      return { ok: true };
    } catch (error) {
      return { ok: false, error: describeError(error, 'login') };
    }
  }

  logOut(): void {
    this.#pb.authStore.clear();
  }
}
