/**
 * Everything the app does by mail: verification, password reset, email change, and the server's
 * policy (does it want a verified address before studios and TURN?). Failures become sentences; a
 * link whose token is expired, used or altered reads the same ("expired or already used"), because
 * PocketBase does not say which, and a person can do the same thing about all three: ask again.
 */
import type PocketBase from 'pocketbase';
import { describeError } from '../pb/errors';
import type { FormResult } from './auth.svelte';

/** The answer of GET /api/bandmesh/mail-policy. */
export interface MailPolicy {
  requireVerified: boolean;
}

export const EXPIRED_LINK = 'This link has expired or was already used. Ask for a new one below.';

function tokenFailure(error: unknown): FormResult {
  const described = describeError(error);
  if (described.fields.token) {
    return {
      ok: false,
      error: { message: EXPIRED_LINK, fields: {}, keys: { message: 'expiredLink', fields: {} } },
    };
  }
  return { ok: false, error: described };
}

export class AccountMail {
  readonly #pb: PocketBase;
  /** null until the server answered (then pages word the rule truthfully). */
  policy = $state<MailPolicy | null>(null);

  constructor(pb: PocketBase) {
    this.#pb = pb;
  }

  async loadPolicy(): Promise<void> {
    try {
      this.policy = await this.#pb.send<MailPolicy>('/api/bandmesh/mail-policy', { requestKey: null });
    } catch {
      // Unknown policy: pages then say nothing about it and the server's refusal speaks for itself.
      this.policy = null;
    }
  }

  /** Re-reads the signed-in record (e.g. verified in another tab). */
  async refresh(): Promise<void> {
    if (!this.#pb.authStore.isValid) return;
    await this.#pb
      .collection('users')
      .authRefresh({ requestKey: null })
      .catch(() => undefined); // An expired session stays as it is; the next request says so.
  }

  async requestVerification(email: string): Promise<FormResult> {
    return this.#run(() => this.#pb.collection('users').requestVerification(email));
  }

  async confirmVerification(token: string): Promise<FormResult> {
    try {
      await this.#pb.collection('users').confirmVerification(token);
    } catch (error) {
      return tokenFailure(error);
    }
    await this.refresh();
    return { ok: true };
  }

  /** Answers the same whether or not an account uses `email` (the server does too). */
  async requestPasswordReset(email: string): Promise<FormResult> {
    return this.#run(() => this.#pb.collection('users').requestPasswordReset(email.trim()));
  }

  async confirmPasswordReset(token: string, password: string): Promise<FormResult> {
    try {
      await this.#pb.collection('users').confirmPasswordReset(token, password, password);
      return { ok: true };
    } catch (error) {
      return tokenFailure(error);
    }
  }

  async requestEmailChange(newEmail: string): Promise<FormResult> {
    return this.#run(() => this.#pb.collection('users').requestEmailChange(newEmail.trim()));
  }

  async confirmEmailChange(token: string, password: string): Promise<FormResult> {
    try {
      await this.#pb.collection('users').confirmEmailChange(token, password);
      return { ok: true };
    } catch (error) {
      const failure = tokenFailure(error);
      if (!failure.ok && failure.error.fields.password)
        return {
          ok: false,
          error: {
            message: 'That is not the password of this account.',
            fields: {},
            keys: { message: 'notThisPassword', fields: {} },
          },
        };
      return failure;
    }
  }

  async #run(call: () => Promise<unknown>): Promise<FormResult> {
    try {
      await call();
      return { ok: true };
    } catch (error) {
      return { ok: false, error: describeError(error) };
    }
  }
}
