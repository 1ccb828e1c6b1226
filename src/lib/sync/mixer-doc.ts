/**
 * MixerDoc: the studio mixer as a typed model over the studio's one Y.Doc (never a second doc).
 *
 * Layout (ids are PocketBase user ids, stable across reloads, so a mix survives reload/reconnect):
 *   channels: Y.Map<'<userId>:name' | ':instrument' | ':colour', value>      written by that user only
 *   mixes:    Y.Map<'<listenerId>:monitor' | ':master' | ':gain/<src>' | ':pan/<src>' | ':mute/<src>'
 *                   | ':solo/<src>', value>
 * One flat key per field: concurrent edits of different fields never clobber each other (per-key
 * last-writer-wins). Nested per-listener Y.Maps were tried and rejected: two peers that create the
 * same listener's map concurrently (two engineers touching a new player's mix) make Y.Map keep one
 * of the two maps and silently drop every write made into the other.
 *
 * Permission rule, enforced where a change is applied:
 * - locally, a verb refuses with 'forbidden' unless the caller edits their own mix or is engineer/owner;
 *   channels are written by their owner only;
 * - for remote changes, every field's current Y.Item is attributed to its author (`item.id.client`)
 *   through `authorOf`: the identity the relay attested for that Yjs client id (live, or an earlier
 *   visit of this room). StudioSync accepts a live participant's items only over that participant's
 *   own link (update-guard.ts), so an author cannot be claimed by someone else in the room. The
 *   role is the one the relay attests NOW: a demoted engineer's writes stop counting at once.
 * - a field whose author is not permitted (or unknown, or whose value is malformed) is ignored: the
 *   snapshot keeps the last permitted value this MixerDoc saw (else the default), and if the local
 *   user owns that entry, it writes the permitted value back so every peer converges ("heals").
 *   Yjs records no author for deletions, so a field that vanished while its owner holds a value for
 *   it is also healed by the owner.
 * Known limits (docs/threat-model.md): an overwrite made while the owner is away wins for the others
 * until the owner returns; the overwritten value may have been garbage-collected, so the heal restores
 * the default.
 */
import * as Y from 'yjs';
import { isPrivileged } from '../protocol/attested';
import type { StudioRole } from '../protocol/ticket';

export const DB_MIN = -60;
export const DB_MAX = 12;
// Own input in own ears at unity, like the other faders: it is what the player plays, level-matched with
// the others at their default 0 dB. (It was −6 dB with no reason recorded; a player turns it down here.)
export const DEFAULT_MONITOR_DB = 0;
export const DEFAULT_MASTER_DB = 0;
export const DEFAULT_COLOUR = '#7f8aa3';

export interface SourceMix {
  gain: number;
  pan: number;
  mute: boolean;
  solo: boolean;
}
export const DEFAULT_SOURCE_MIX: Readonly<SourceMix> = Object.freeze({
  gain: 0,
  pan: 0,
  mute: false,
  solo: false,
});

export interface PersonalMix {
  listener: string;
  monitor: number;
  master: number;
  /** Only sources with at least one stored field; others use {@link DEFAULT_SOURCE_MIX}. */
  sources: Readonly<Record<string, Readonly<SourceMix>>>;
}

export interface ChannelInfo {
  userId: string;
  name: string;
  instrument: string;
  colour: string;
}

export interface Author {
  userId: string;
  role: StudioRole;
}

export type MixerResult = { ok: true } | { ok: false; code: 'forbidden' | 'invalid'; message: string };

export interface MixerDocOptions {
  /** The studio's document (`StudioSync.doc`). */
  doc: Y.Doc;
  /** The local player, as the relay attests it (role changes arrive through `setMe`). */
  me: Author;
  /** Who writes with this Yjs client id, as the relay attests it; null when unknown. */
  authorOf: (clientId: number) => Author | null;
}

type Value = number | boolean | string;
type Kind = 'db' | 'pan' | 'bool' | 'text' | 'colour';
type Scope = 'mixes' | 'channels';

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const COLOUR = /^#[0-9a-fA-F]{6}$/;
const MAX_TEXT = 80;
const SOURCE_FIELDS = { gain: 'db', pan: 'pan', mute: 'bool', solo: 'bool' } as const satisfies Record<
  keyof SourceMix,
  Kind
>;
/** Origin of this module's writes; StudioSync forwards them to every peer. */
const LOCAL_ORIGIN = { mixer: 'local' } as const;
const HEAL_ORIGIN = { mixer: 'heal' } as const;

export const isUserId = (value: unknown): value is string => typeof value === 'string' && ID.test(value);
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A stored or requested value made valid, or undefined when it cannot be. Used on write and on read. */
function normalize(kind: Kind, raw: unknown): Value | undefined {
  switch (kind) {
    case 'db':
      return finite(raw) ? clamp(raw, DB_MIN, DB_MAX) : undefined;
    case 'pan':
      return finite(raw) ? clamp(raw, -1, 1) : undefined;
    case 'bool':
      return typeof raw === 'boolean' ? raw : undefined;
    case 'text':
      return typeof raw === 'string' ? raw.slice(0, MAX_TEXT) : undefined;
    case 'colour':
      return typeof raw === 'string' && COLOUR.test(raw) ? raw.toLowerCase() : undefined;
  }
}

function kindOf(scope: Scope, key: string): Kind | null {
  if (scope === 'channels')
    return key === 'colour' ? 'colour' : key === 'name' || key === 'instrument' ? 'text' : null;
  if (key === 'monitor' || key === 'master') return 'db';
  const slash = key.indexOf('/');
  const field = key.slice(0, slash) as keyof SourceMix;
  return slash > 0 && Object.hasOwn(SOURCE_FIELDS, field) && isUserId(key.slice(slash + 1))
    ? SOURCE_FIELDS[field]
    : null;
}

/** The owner id of a flat key; keys without one map to '' (not a user id, so ignored). */
const ownerOf = (key: string) => key.slice(0, Math.max(0, key.indexOf(':')));

export class MixerDoc {
  readonly #doc: Y.Doc;
  #me: Author;
  readonly #authorOf: MixerDocOptions['authorOf'];
  readonly #top: Record<Scope, Y.Map<unknown>>;
  /** Last permitted value seen per `scope owner key`: what a snapshot keeps when a write is refused. */
  readonly #permitted = new Map<string, Value>();
  readonly #mixes = new Map<string, PersonalMix>();
  #channels: ChannelInfo[] = [];
  #channelsStale = false;
  readonly #channelMap = new Map<string, ChannelInfo>();
  readonly #listeners = new Set<() => void>();
  #disposed = false;

  constructor(options: MixerDocOptions) {
    this.#doc = options.doc;
    this.#me = options.me;
    this.#authorOf = options.authorOf;
    this.#top = { mixes: this.#doc.getMap('mixes'), channels: this.#doc.getMap('channels') };
    this.#doc.on('afterTransaction', this.#onTransaction);
    this.recheck();
  }

  /** A snapshot of one listener's mix; the same object while nothing in it changes. */
  mixFor(listener: string): PersonalMix {
    let mix = this.#mixes.get(listener);
    if (!mix) {
      mix = { listener, monitor: DEFAULT_MONITOR_DB, master: DEFAULT_MASTER_DB, sources: {} };
      // Remembered so repeated reads of an untouched mix return the same object.
      if (isUserId(listener)) this.#mixes.set(listener, mix);
    }
    return mix;
  }

  /** Every player's channel metadata, ordered by user id; the same array while nothing changes. */
  channels(): ChannelInfo[] {
    return this.#channels;
  }

  /** Calls `listener` once per transaction that changed a mix or a channel. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Whether the local player may change other players' mixes (engineer or owner). */
  get canEditOthers(): boolean {
    return isPrivileged(this.#me.role);
  }

  canEdit(listener: string): boolean {
    return listener === this.#me.userId || isPrivileged(this.#me.role);
  }

  setMyChannel(channel: Partial<Omit<ChannelInfo, 'userId'>>): MixerResult {
    const entries: Array<[string, unknown]> = Object.entries(channel).filter(([, v]) => v !== undefined);
    return this.#write('channels', this.#me.userId, entries);
  }

  setGain(listener: string, source: string, db: number): MixerResult {
    return this.#writeSource(listener, source, 'gain', db);
  }
  setPan(listener: string, source: string, pan: number): MixerResult {
    return this.#writeSource(listener, source, 'pan', pan);
  }
  setMute(listener: string, source: string, mute: boolean): MixerResult {
    return this.#writeSource(listener, source, 'mute', mute);
  }
  setSolo(listener: string, source: string, solo: boolean): MixerResult {
    return this.#writeSource(listener, source, 'solo', solo);
  }
  setMonitor(listener: string, db: number): MixerResult {
    return this.#write('mixes', listener, [['monitor', db]]);
  }
  setMaster(listener: string, db: number): MixerResult {
    return this.#write('mixes', listener, [['master', db]]);
  }

  /** Our attested identity changed (a role change in PocketBase): verbs follow it at once. */
  setMe(me: Author): void {
    if (me.userId !== this.#me.userId || me.role === this.#me.role) return;
    this.#me = me;
    this.recheck();
    // What we may edit changed even if no value did: subscribers re-read canEditOthers.
    for (const listener of [...this.#listeners]) listener();
  }

  /** Re-evaluates every entry (call when attested roles changed); heals the local mix. */
  recheck(): void {
    if (this.#disposed) return;
    const dirty: Record<Scope, Set<string>> = { mixes: new Set(), channels: new Set() };
    for (const scope of ['mixes', 'channels'] as const) {
      for (const key of this.#top[scope].keys()) dirty[scope].add(ownerOf(key));
      for (const owner of scope === 'mixes' ? this.#mixes.keys() : this.#channelMap.keys())
        dirty[scope].add(owner);
    }
    this.#apply(dirty, true);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#doc.off('afterTransaction', this.#onTransaction);
    this.#listeners.clear();
  }

  #writeSource(listener: string, source: string, field: keyof SourceMix, value: unknown): MixerResult {
    if (!isUserId(source)) return { ok: false, code: 'invalid', message: 'Unknown player.' };
    return this.#write('mixes', listener, [[`${field}/${source}`, value]]);
  }

  #write(scope: Scope, owner: string, entries: Array<[string, unknown]>): MixerResult {
    if (this.#disposed) return { ok: false, code: 'invalid', message: 'The mixer is closed.' };
    if (!isUserId(owner)) return { ok: false, code: 'invalid', message: 'Unknown player.' };
    if (scope === 'channels' ? owner !== this.#me.userId : !this.canEdit(owner)) {
      return {
        ok: false,
        code: 'forbidden',
        message:
          scope === 'channels'
            ? 'Only a player can change their own channel.'
            : "Only an engineer or the studio owner can change another player's mix.",
      };
    }
    const values: Array<[string, Value]> = [];
    for (const [key, raw] of entries) {
      const kind = kindOf(scope, key);
      const value = kind && normalize(kind, raw);
      if (value === undefined || value === null)
        return { ok: false, code: 'invalid', message: `Invalid ${key}.` };
      values.push([key, value]);
    }
    this.#doc.transact(() => {
      for (const [key, value] of values) this.#top[scope].set(`${owner}:${key}`, value);
    }, LOCAL_ORIGIN);
    return { ok: true };
  }

  #author(clientId: number): Author | null {
    if (clientId === this.#doc.clientID) return this.#me;
    return this.#authorOf(clientId);
  }

  #mayWrite(scope: Scope, author: Author | null, owner: string): boolean {
    if (!author) return false;
    return author.userId === owner || (scope === 'mixes' && isPrivileged(author.role));
  }

  readonly #onTransaction = (tr: Y.Transaction): void => {
    const dirty: Record<Scope, Set<string>> = { mixes: new Set(), channels: new Set() };
    for (const [type, keys] of tr.changed) {
      for (const scope of ['mixes', 'channels'] as const) {
        if ((type as unknown) !== this.#top[scope]) continue;
        for (const key of keys) if (key !== null) dirty[scope].add(ownerOf(key));
      }
    }
    if (dirty.mixes.size + dirty.channels.size > 0) this.#apply(dirty, !tr.local);
  };

  #apply(dirty: Record<Scope, Set<string>>, heal: boolean): void {
    let changed = false;
    const repairs: Array<[Scope, string, Map<string, Value | undefined>]> = [];
    for (const scope of ['mixes', 'channels'] as const) {
      for (const owner of dirty[scope]) {
        if (!isUserId(owner)) continue;
        const { values, fixes } = this.#reconcile(scope, owner);
        changed =
          (scope === 'mixes' ? this.#storeMix(owner, values) : this.#storeChannel(owner, values)) || changed;
        if (heal && fixes.size > 0 && owner === this.#me.userId) repairs.push([scope, owner, fixes]);
      }
    }
    if (changed) this.#rebuildChannelList();
    if (repairs.length > 0) {
      this.#doc.transact(() => {
        for (const [scope, owner, fixes] of repairs) {
          for (const [key, value] of fixes) {
            if (value === undefined) this.#top[scope].delete(`${owner}:${key}`);
            else this.#top[scope].set(`${owner}:${key}`, value);
          }
        }
      }, HEAL_ORIGIN);
    }
    if (changed) for (const listener of [...this.#listeners]) listener();
  }

  /**
   * The effective fields of one owner's entry, and the writes that would make the doc say the same
   * (undefined = delete). Updates the last-permitted cache.
   */
  #reconcile(scope: Scope, owner: string) {
    const values = new Map<string, Value>();
    const fixes = new Map<string, Value | undefined>();
    const top = this.#top[scope];
    const prefix = `${owner}:`;
    const cachePrefix = `${scope} ${prefix}`;
    const keys = new Set<string>();
    for (const key of top.keys()) if (key.startsWith(prefix)) keys.add(key.slice(prefix.length));
    for (const key of this.#permitted.keys())
      if (key.startsWith(cachePrefix)) keys.add(key.slice(cachePrefix.length));
    for (const key of keys) {
      const kind = kindOf(scope, key);
      if (!kind) continue;
      const cached = this.#permitted.get(cachePrefix + key);
      const item = top._map.get(prefix + key);
      if (item && !item.deleted) {
        const stored = top.get(prefix + key);
        const value = this.#mayWrite(scope, this.#author(item.id.client), owner)
          ? normalize(kind, stored)
          : undefined;
        if (value !== undefined) {
          this.#permitted.set(cachePrefix + key, value);
          values.set(key, value);
          if (value !== stored) fixes.set(key, value);
        } else {
          if (cached !== undefined) values.set(key, cached);
          fixes.set(key, cached);
        }
      } else if (cached !== undefined && owner === this.#me.userId) {
        // Deletions carry no author: only the owner, who knows what it had, restores the value.
        values.set(key, cached);
        fixes.set(key, cached);
      }
    }
    return { values, fixes };
  }

  #storeMix(listener: string, values: Map<string, Value>): boolean {
    const sources: Record<string, SourceMix> = {};
    for (const [key, value] of values) {
      const slash = key.indexOf('/');
      if (slash < 0) continue;
      const source = key.slice(slash + 1);
      const mix = (sources[source] ??= { ...DEFAULT_SOURCE_MIX });
      (mix as unknown as Record<string, Value>)[key.slice(0, slash)] = value;
    }
    const next: PersonalMix = {
      listener,
      monitor: (values.get('monitor') as number | undefined) ?? DEFAULT_MONITOR_DB,
      master: (values.get('master') as number | undefined) ?? DEFAULT_MASTER_DB,
      sources,
    };
    const prev = this.#mixes.get(listener);
    if (prev && JSON.stringify(prev) === JSON.stringify(next)) return false;
    this.#mixes.set(listener, next);
    return true;
  }

  #storeChannel(userId: string, values: Map<string, Value>): boolean {
    const next: ChannelInfo = {
      userId,
      name: (values.get('name') as string | undefined) ?? '',
      instrument: (values.get('instrument') as string | undefined) ?? '',
      colour: (values.get('colour') as string | undefined) ?? DEFAULT_COLOUR,
    };
    const prev = this.#channelMap.get(userId);
    if (prev && JSON.stringify(prev) === JSON.stringify(next)) return false;
    if (!prev && values.size === 0) return false;
    this.#channelMap.set(userId, next);
    this.#channelsStale = true;
    return true;
  }

  #rebuildChannelList(): void {
    if (!this.#channelsStale) return;
    this.#channelsStale = false;
    this.#channels = [...this.#channelMap.values()].sort((a, b) => (a.userId < b.userId ? -1 : 1));
  }
}
