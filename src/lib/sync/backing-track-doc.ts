/**
 * BackingTrackDoc: which backing track the band plays and where it sits on the shared timeline, in the
 * studio's one Y.Doc beside the metronome (ADR 0016).
 *
 * Layout: `backingTrack: Y.Map<'transport', value>`, one object (playing, trackId, startAt, fromMs,
 * clock) so a start time and its position can never be half applied. Position `fromMs` of track
 * `trackId` plays at `startAt`, epoch ms on player `clock`'s clock — always the writer's user id, so the
 * timeline is on a clock the room measures (session/shared-clock.ts), exactly as the metronome's
 * (ADR 0014), and `clock` also says who last started, moved or stopped the track. Seek = a new start.
 *
 * Permissions follow the metronome's rule (MetronomeDoc.mayControl: engineers and owners, or everyone
 * while the studio setting says so), checked per item against the relay-attested author. A refused or
 * malformed item is ignored and a privileged player who sees it writes the permitted value back.
 */
import * as Y from 'yjs';
import { isPrivileged } from '../protocol/attested';
import { START_LEAD_MS } from './metronome-doc';
import { isUserId, type Author, type MixerResult } from './mixer-doc';

/**
 * How far ahead a track other than the current one starts (ms): every player must download and decode
 * it first (a few MB on a home connection). The current track is loaded already: it (re)starts
 * {@link START_LEAD_MS} ahead, like the metronome. A player still loading joins mid-track when ready.
 */
export const NEW_TRACK_LEAD_MS = 3000;

/**
 * The backing track's strip in every personal mix: a MixerDoc source key that no user id can be
 * (PocketBase ids have no '-'), so its gain and mute live beside the players' under the mixer's rules
 * (own mix, or engineer/owner for anyone's).
 */
export const BACKING_TRACK_SOURCE = 'backing-track';

/** A track position past a day is no track anyone uploaded (files are ≤ 50 MB). */
export const MAX_POSITION_MS = 24 * 3600 * 1000;

export interface BackingTransport {
  playing: boolean;
  /** The `backing_tracks` record id; '' before anyone chose one. */
  trackId: string;
  /** Epoch ms on player `clock`'s clock at which position `fromMs` plays. */
  startAt: number;
  /** Position in the track (ms) heard at `startAt`; where a stopped track resumes. */
  fromMs: number;
  /** User id of the writer: whose clock `startAt` is on, and who started or stopped it. */
  clock: string;
}

export const DEFAULT_BACKING_TRANSPORT: Readonly<BackingTransport> = Object.freeze({
  playing: false,
  trackId: '',
  startAt: 0,
  fromMs: 0,
  clock: '',
});

export interface BackingTrackDocOptions {
  doc: Y.Doc;
  me: Author;
  authorOf: (clientId: number) => Author | null;
  /** The metronome's rule: whether an author may control the shared transport now. */
  mayControl: (author: Author | null) => boolean;
  /** Our epoch clock, ms. */
  now: () => number;
  /** Player `userId`'s clock − ours (ms), as measured; null when unknown. */
  offsetOf: (userId: string) => number | null;
}

const ORIGIN = { backingTrack: 'local' } as const;
const HEAL = { backingTrack: 'heal' } as const;
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A stored transport made valid, or null when it cannot be. */
export function parseBackingTransport(raw: unknown): BackingTransport | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const t = raw as Record<string, unknown>;
  if (typeof t.playing !== 'boolean' || typeof t.trackId !== 'string' || typeof t.clock !== 'string')
    return null;
  if (!finite(t.startAt) || !finite(t.fromMs)) return null;
  if (t.trackId !== '' && !isUserId(t.trackId)) return null;
  if (t.playing && t.trackId === '') return null;
  if (t.startAt < 0 || t.startAt > 1e14 || t.fromMs < 0 || t.fromMs > MAX_POSITION_MS) return null;
  if (t.clock !== '' && !isUserId(t.clock)) return null;
  return { playing: t.playing, trackId: t.trackId, startAt: t.startAt, fromMs: t.fromMs, clock: t.clock };
}

function sameTransport(a: BackingTransport, b: BackingTransport): boolean {
  return (
    a.playing === b.playing &&
    a.trackId === b.trackId &&
    a.startAt === b.startAt &&
    a.fromMs === b.fromMs &&
    a.clock === b.clock
  );
}

export class BackingTrackDoc {
  readonly #doc: Y.Doc;
  readonly #map: Y.Map<unknown>;
  readonly #options: BackingTrackDocOptions;
  #me: Author;
  #transport: BackingTransport = DEFAULT_BACKING_TRANSPORT;
  readonly #listeners = new Set<() => void>();
  #disposed = false;

  constructor(options: BackingTrackDocOptions) {
    this.#options = options;
    this.#doc = options.doc;
    this.#me = options.me;
    this.#map = this.#doc.getMap('backingTrack');
    this.#doc.on('afterTransaction', this.#onTransaction);
    this.#reconcile(true);
  }

  get transport(): BackingTransport {
    return this.#transport;
  }

  /** Whether we may start, stop or move the track now (the metronome's rule). */
  get canControl(): boolean {
    return this.#options.mayControl(this.#me);
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The position (ms) playing now, on the writer's clock mapped onto ours; `fromMs` while stopped. */
  positionNow(): number {
    const t = this.#transport;
    if (!t.playing) return t.fromMs;
    const offset = t.clock === '' ? 0 : (this.#options.offsetOf(t.clock) ?? 0);
    return t.fromMs + (this.#options.now() + offset - t.startAt);
  }

  /**
   * Plays `trackId` from `fromMs` on our clock, {@link START_LEAD_MS} from now (time to reach everyone),
   * or {@link NEW_TRACK_LEAD_MS} when it is not the current track (time for everyone to load it).
   */
  play(trackId: string, fromMs = 0): MixerResult {
    const lead = trackId === this.#transport.trackId ? START_LEAD_MS : NEW_TRACK_LEAD_MS;
    return this.#write({
      playing: true,
      trackId,
      fromMs,
      startAt: this.#options.now() + lead,
      clock: this.#me.userId,
    });
  }

  /** Moves the playing track to `fromMs` (a new start), or sets where a stopped one will start. */
  seek(fromMs: number): MixerResult {
    const t = this.#transport;
    if (t.trackId === '') return { ok: false, code: 'invalid', message: 'Choose a backing track first.' };
    if (t.playing) return this.play(t.trackId, fromMs);
    return this.#write({ ...t, fromMs, clock: this.#me.userId });
  }

  /** Stops where it is now, so a later play can resume there. */
  stop(): MixerResult {
    const t = this.#transport;
    const at = Math.min(MAX_POSITION_MS, Math.max(0, Math.round(this.positionNow())));
    return this.#write({ ...t, playing: false, fromMs: t.playing ? at : t.fromMs, clock: this.#me.userId });
  }

  /** Our attested identity changed (role): permissions follow at once. */
  setMe(me: Author): void {
    if (me.userId !== this.#me.userId || me.role === this.#me.role) return;
    this.#me = me;
    this.recheck();
    for (const listener of [...this.#listeners]) listener();
  }

  /** Re-evaluates the entry (attested roles or the metronome's setting changed). */
  recheck(): void {
    if (!this.#disposed) this.#reconcile(true);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#doc.off('afterTransaction', this.#onTransaction);
    this.#listeners.clear();
  }

  #write(next: BackingTransport): MixerResult {
    if (this.#disposed) return { ok: false, code: 'invalid', message: 'The studio is closed.' };
    if (!this.canControl)
      return {
        ok: false,
        code: 'forbidden',
        message: 'Only an engineer or the studio owner can start or stop the backing track in this studio.',
      };
    const value = parseBackingTransport(next);
    if (!value) return { ok: false, code: 'invalid', message: 'That is not a position in the track.' };
    this.#doc.transact(() => this.#map.set('transport', value), ORIGIN);
    return { ok: true };
  }

  #author(client: number): Author | null {
    return client === this.#doc.clientID ? this.#me : this.#options.authorOf(client);
  }

  readonly #onTransaction = (tr: Y.Transaction): void => {
    for (const type of tr.changed.keys()) {
      if ((type as unknown) === this.#map) return this.#reconcile(!tr.local);
    }
  };

  /** The effective transport from the item and its author; heals a refused item when we are privileged. */
  #reconcile(heal: boolean): void {
    const item = this.#map._map.get('transport');
    let transport = this.#transport;
    let refused = false;
    if (item && !item.deleted) {
      const author = this.#author(item.id.client);
      const value = parseBackingTransport(this.#map.get('transport'));
      // A heal is a privileged player writing back the value everyone already has, on its first
      // writer's clock: accepted as a no-op, or two healers would refuse each other's heals forever.
      const restores =
        value !== null && author !== null && isPrivileged(author.role) && sameTransport(value, transport);
      if (value && author && this.#options.mayControl(author) && (value.clock === author.userId || restores))
        transport = restores ? transport : value;
      else refused = true;
    }
    const changed = transport !== this.#transport;
    this.#transport = transport;
    if (heal && refused && isPrivileged(this.#me.role)) {
      this.#doc.transact(() => this.#map.set('transport', this.#transport), HEAL);
    }
    if (changed || refused) for (const listener of [...this.#listeners]) listener();
  }
}
