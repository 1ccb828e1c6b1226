/**
 * Membership changes PocketBase reported, remembered long enough to outlive every ticket minted
 * before them. A ticket only says what was true when it was minted (it stays valid for up to
 * TICKET_MAX_TTL_SECONDS); without this, a member removed a minute ago could rejoin with a ticket
 * fetched just before the removal, and a demoted engineer could rejoin as engineer.
 *
 * The studio's "recording allowed" setting is remembered the same way: a ticket minted before a
 * change carries a stale `rec` claim, and admission recomputes it from the newer setting.
 *
 * Times are PocketBase's Unix seconds (the control message's and the ticket's `iat`), so both come
 * from one clock. A ticket issued in the same second as a change counts as older (the change wins):
 * refusing a fresh ticket for a second is safer than admitting a stale one.
 */
import { ErrorCode } from '../../../src/lib/protocol/errors.js';
import {
  TICKET_MAX_TTL_SECONDS,
  recordingAllowedFor,
  type RecordingPolicy,
  type StudioRole,
} from '../../../src/lib/protocol/ticket.js';
import { DEFAULT_CLOCK_SKEW_SECONDS } from '../auth/ticket-verifier.js';

/** Bounds memory if PocketBase (or a replayer with the secret) sends a storm of changes. */
export const MAX_OVERRIDES = 50_000;

export type Admission =
  | { ok: true; role: StudioRole; mayRecord: boolean }
  | { ok: false; code: typeof ErrorCode.MembershipRevoked | typeof ErrorCode.StudioDeleted };

interface Entry {
  /** `null`: no longer a member; 'deleted': the studio is gone; 'policy': a recording setting. */
  role: StudioRole | null | 'deleted' | 'policy';
  at: number;
  /** Membership: may the user record with the new role (absent: PocketBase did not say). */
  rec?: boolean;
  /** Recording setting entries only. */
  policy?: RecordingPolicy;
}

export class MembershipOverrides {
  readonly #entries = new Map<string, Entry>();
  readonly #nowSeconds: () => number;
  /** An entry matters while a ticket minted before it can still be valid. */
  readonly #keepSeconds = TICKET_MAX_TTL_SECONDS + 2 * DEFAULT_CLOCK_SKEW_SECONDS;

  constructor(options: { nowSeconds?: () => number } = {}) {
    this.#nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  }

  /**
   * Records a membership change at `at`. Returns false (and records nothing) when a newer change
   * for the same user is already known: a replayed old message must not undo it.
   */
  recordMembership(
    studio: string,
    user: string,
    role: StudioRole | null,
    at: number,
    rec?: boolean,
  ): boolean {
    if ((this.#entries.get(`d:${studio}`)?.at ?? -Infinity) > at) return false;
    return this.#record(`m:${studio}:${user}`, rec === undefined ? { role, at } : { role, at, rec });
  }

  /** Records the studio's recording setting at `at`; false when a newer one is already known. */
  recordRecordingPolicy(studio: string, policy: RecordingPolicy, at: number): boolean {
    return this.#record(`p:${studio}`, { role: 'policy', at, policy });
  }

  /** The newest recording setting PocketBase reported for `studio` (and when), if one is remembered. */
  recordingPolicy(studio: string): { policy: RecordingPolicy; at: number } | undefined {
    const entry = this.#live(`p:${studio}`);
    return entry?.policy === undefined ? undefined : { policy: entry.policy, at: entry.at };
  }

  recordDeletion(studio: string, at: number): boolean {
    return this.#record(`d:${studio}`, { role: 'deleted', at });
  }

  /**
   * What a ticket issued at `issuedAt` may do now: its own role, a newer one, or nothing; and whether
   * it may record: the ticket's `rec`, unless a newer membership change (with `rec`) or a newer
   * recording setting says otherwise (the newest of the two wins).
   */
  admission(claims: { studio: string; sub: string; role: StudioRole; iat: number; rec: boolean }): Admission {
    const deleted = this.#live(`d:${claims.studio}`);
    if (deleted && claims.iat <= deleted.at) return { ok: false, code: ErrorCode.StudioDeleted };
    const change = this.#live(`m:${claims.studio}:${claims.sub}`);
    let role = claims.role;
    let mayRecord = claims.rec;
    let recAt = claims.iat;
    if (change && claims.iat <= change.at) {
      if (change.role === null || change.role === 'deleted' || change.role === 'policy') {
        return { ok: false, code: ErrorCode.MembershipRevoked };
      }
      role = change.role;
      if (change.rec !== undefined) {
        mayRecord = change.rec;
        recAt = change.at;
      }
    }
    const policy = this.recordingPolicy(claims.studio);
    if (policy && claims.iat <= policy.at && recAt <= policy.at) {
      mayRecord = recordingAllowedFor(policy.policy, role);
    }
    return { ok: true, role, mayRecord };
  }

  get size(): number {
    return this.#entries.size;
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.at + this.#keepSeconds < this.#nowSeconds()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #record(key: string, entry: Entry): boolean {
    const known = this.#live(key);
    if (known && known.at > entry.at) return false;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.#prune();
    return true;
  }

  /** Drops expired entries from the oldest end (insertion order ≈ age), then any over the bound. */
  #prune(): void {
    const horizon = this.#nowSeconds() - this.#keepSeconds;
    for (const [key, entry] of this.#entries) {
      if (entry.at >= horizon && this.#entries.size <= MAX_OVERRIDES) break;
      this.#entries.delete(key);
    }
  }
}
