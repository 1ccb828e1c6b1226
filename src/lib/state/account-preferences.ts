/**
 * The signed-in account's `preferences` JSON (users collection), one key per feature (`audio`,
 * `theme`, …). Saving merges into what the server last returned, so one feature never wipes another's.
 * Values read back are untrusted JSON: each feature validates its own key.
 */
import type PocketBase from 'pocketbase';

export class AccountPreferences {
  readonly #pb: PocketBase;

  constructor(pb: PocketBase) {
    this.#pb = pb;
  }

  /** The stored value of `key`, or undefined (signed out, never saved, or not an object). */
  get(key: string): unknown {
    const preferences = this.#current();
    return preferences ? preferences[key] : undefined;
  }

  /** Saves `key` to the account; false when signed out or the server refused (the caller keeps a local copy). */
  async save(key: string, value: unknown): Promise<boolean> {
    const record = this.#pb.authStore.isValid ? this.#pb.authStore.record : null;
    if (!record) return false;
    try {
      // The SDK refreshes authStore.record from the answer, so the next save merges into this one.
      await this.#pb
        .collection('users')
        .update(record.id, { preferences: { ...this.#current(), [key]: value } });
      return true;
    } catch {
      return false;
    }
  }

  #current(): Record<string, unknown> | null {
    const value = (this.#pb.authStore.record as { preferences?: unknown } | null)?.preferences;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  }
}
