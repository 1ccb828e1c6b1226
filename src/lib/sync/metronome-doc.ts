/**
 * MetronomeDoc: the studio's tempo, time signature and shared timeline in the studio's one Y.Doc.
 *
 * Layout: `metronome: Y.Map<'transport' | 'editors', value>`. `transport` is one object (running, bpm,
 * beatsPerBar, beatOrigin, timeOrigin, clock), so a tempo change and its new origin can never be half
 * applied. The timeline is Ableton Link's: beat = beatOrigin + bpm/60 × (t − timeOrigin) with t in ms on
 * the epoch clock of player `clock` — always its writer, so a timeline is on a clock someone in the room
 * measured its offset to (session/shared-clock.ts). Starting puts beat −beatsPerBar a moment ahead:
 * negative beats are the one-bar count-in.
 *
 * Permissions, checked on every item by its attested author (as MixerDoc does, see mixer-doc.ts):
 * `editors` ('engineers' | 'everyone') is written by engineers and owners only; `transport` by engineers
 * and owners, or by anyone while the effective `editors` is 'everyone', and only with `clock` = its
 * author's own user id. A refused or malformed item is ignored (the last permitted value stands) and a
 * privileged player who sees it writes the permitted value back, so everyone converges.
 */
import * as Y from 'yjs';
import { isPrivileged } from '../protocol/attested';
import { isUserId, type Author, type MixerResult } from './mixer-doc';

export const BPM_MIN = 30;
export const BPM_MAX = 300;
export const BEATS_MIN = 1;
export const BEATS_MAX = 12;
/** How far ahead of "now" a start or tempo change takes effect (ms): time for the update to reach peers. */
export const START_LEAD_MS = 400;

export const MetronomeEditors = { Engineers: 'engineers', Everyone: 'everyone' } as const;
export type MetronomeEditors = (typeof MetronomeEditors)[keyof typeof MetronomeEditors];

export interface Transport {
  running: boolean;
  bpm: number;
  beatsPerBar: number;
  /** The beat at `timeOrigin` (the first count-in beat is −beatsPerBar). */
  beatOrigin: number;
  /** Epoch ms on player `clock`'s clock. */
  timeOrigin: number;
  /** User id whose clock `timeOrigin` is on; '' before anyone started. */
  clock: string;
}

export const DEFAULT_TRANSPORT: Readonly<Transport> = Object.freeze({
  running: false,
  bpm: 120,
  beatsPerBar: 4,
  beatOrigin: 0,
  timeOrigin: 0,
  clock: '',
});

export interface MetronomeDocOptions {
  doc: Y.Doc;
  me: Author;
  authorOf: (clientId: number) => Author | null;
  /** Our epoch clock, ms. */
  now: () => number;
  /** Player `userId`'s clock − ours (ms), as measured; null when unknown. */
  offsetOf: (userId: string) => number | null;
}

const ORIGIN = { metronome: 'local' } as const;
const HEAL = { metronome: 'heal' } as const;
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The beat at time `t` (ms on the timeline's clock). */
export function beatAt(transport: Transport, t: number): number {
  return transport.beatOrigin + (transport.bpm / 60_000) * (t - transport.timeOrigin);
}

/** A stored transport made valid, or null when it cannot be (never clamps a timeline into another). */
export function parseTransport(raw: unknown): Transport | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const t = raw as Record<string, unknown>;
  if (typeof t.running !== 'boolean' || !finite(t.bpm) || !finite(t.beatsPerBar)) return null;
  if (!finite(t.beatOrigin) || !finite(t.timeOrigin) || typeof t.clock !== 'string') return null;
  if (t.bpm < BPM_MIN || t.bpm > BPM_MAX) return null;
  if (!Number.isInteger(t.beatsPerBar) || t.beatsPerBar < BEATS_MIN || t.beatsPerBar > BEATS_MAX) return null;
  if (Math.abs(t.beatOrigin) > 1e9 || t.timeOrigin < 0 || t.timeOrigin > 1e14) return null;
  if (t.clock !== '' && !isUserId(t.clock)) return null;
  return {
    running: t.running,
    bpm: t.bpm,
    beatsPerBar: t.beatsPerBar,
    beatOrigin: t.beatOrigin,
    timeOrigin: t.timeOrigin,
    clock: t.clock,
  };
}

const isEditors = (v: unknown): v is MetronomeEditors => v === 'engineers' || v === 'everyone';

export class MetronomeDoc {
  readonly #doc: Y.Doc;
  readonly #map: Y.Map<unknown>;
  readonly #options: MetronomeDocOptions;
  #me: Author;
  #transport: Transport = DEFAULT_TRANSPORT;
  #editors: MetronomeEditors = MetronomeEditors.Engineers;
  readonly #listeners = new Set<() => void>();
  #disposed = false;

  constructor(options: MetronomeDocOptions) {
    this.#options = options;
    this.#doc = options.doc;
    this.#me = options.me;
    this.#map = this.#doc.getMap('metronome');
    this.#doc.on('afterTransaction', this.#onTransaction);
    this.#reconcile(true);
  }

  get transport(): Transport {
    return this.#transport;
  }
  get editors(): MetronomeEditors {
    return this.#editors;
  }
  /** Whether we may start, stop or change the tempo now. */
  get canEdit(): boolean {
    return this.#mayTransport(this.#me);
  }
  /**
   * Whether `author` may control the shared transport now: the metronome's rule, which the backing
   * track's transport (backing-track-doc.ts) follows too, so one setting decides who runs the band's time.
   */
  mayControl(author: Author | null): boolean {
    return this.#mayTransport(author);
  }
  /** Whether we may change who edits (engineers and owners). */
  get canSetEditors(): boolean {
    return isPrivileged(this.#me.role);
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts with a one-bar count-in, {@link START_LEAD_MS} from now, on our clock. */
  start(): MixerResult {
    const t = this.#transport;
    return this.#writeTransport({
      ...t,
      running: true,
      beatOrigin: -t.beatsPerBar,
      timeOrigin: this.#options.now() + START_LEAD_MS,
      clock: this.#me.userId,
    });
  }

  stop(): MixerResult {
    return this.#writeTransport({ ...this.#transport, running: false });
  }

  /** A new tempo; while running, the beat playing now carries on (the timeline is rebased onto our clock). */
  setTempo(bpm: number): MixerResult {
    if (!finite(bpm) || bpm < BPM_MIN || bpm > BPM_MAX)
      return { ok: false, code: 'invalid', message: `The tempo must be ${BPM_MIN}–${BPM_MAX} BPM.` };
    return this.#writeTransport({ ...this.#rebased(), bpm: Math.round(bpm * 10) / 10 });
  }

  setBeatsPerBar(beats: number): MixerResult {
    if (!Number.isInteger(beats) || beats < BEATS_MIN || beats > BEATS_MAX)
      return { ok: false, code: 'invalid', message: `A bar has ${BEATS_MIN}–${BEATS_MAX} beats.` };
    return this.#writeTransport({ ...this.#rebased(), beatsPerBar: beats });
  }

  setEditors(editors: MetronomeEditors): MixerResult {
    if (!this.canSetEditors)
      return {
        ok: false,
        code: 'forbidden',
        message: 'Only an engineer or the studio owner can change who controls the metronome.',
      };
    if (!isEditors(editors)) return { ok: false, code: 'invalid', message: 'Invalid setting.' };
    this.#doc.transact(() => this.#map.set('editors', editors), ORIGIN);
    return { ok: true };
  }

  /** Our attested identity changed (role): permissions follow at once. */
  setMe(me: Author): void {
    if (me.userId !== this.#me.userId || me.role === this.#me.role) return;
    this.#me = me;
    this.recheck();
    for (const listener of [...this.#listeners]) listener();
  }

  /** Re-evaluates both entries (attested roles changed). */
  recheck(): void {
    if (!this.#disposed) this.#reconcile(true);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#doc.off('afterTransaction', this.#onTransaction);
    this.#listeners.clear();
  }

  /** The current timeline moved onto our clock, keeping the beat at this moment (and its phase). */
  #rebased(): Transport {
    const t = this.#transport;
    if (!t.running) return t;
    const now = this.#options.now();
    const offset = t.clock === this.#me.userId ? 0 : (this.#options.offsetOf(t.clock) ?? 0);
    return { ...t, beatOrigin: beatAt(t, now + offset), timeOrigin: now, clock: this.#me.userId };
  }

  #writeTransport(next: Transport): MixerResult {
    if (this.#disposed) return { ok: false, code: 'invalid', message: 'The metronome is closed.' };
    if (!this.canEdit)
      return {
        ok: false,
        code: 'forbidden',
        message: 'Only an engineer or the studio owner can control the metronome in this studio.',
      };
    const value = parseTransport(next);
    if (!value) return { ok: false, code: 'invalid', message: 'Invalid tempo or time signature.' };
    this.#doc.transact(() => this.#map.set('transport', value), ORIGIN);
    return { ok: true };
  }

  #author(client: number): Author | null {
    return client === this.#doc.clientID ? this.#me : this.#options.authorOf(client);
  }

  #mayTransport(author: Author | null): boolean {
    return author !== null && (isPrivileged(author.role) || this.#editors === MetronomeEditors.Everyone);
  }

  readonly #onTransaction = (tr: Y.Transaction): void => {
    for (const type of tr.changed.keys()) {
      if ((type as unknown) === this.#map) return this.#reconcile(!tr.local);
    }
  };

  /** Effective values from the items and their authors; heals refused items when we are privileged. */
  #reconcile(heal: boolean): void {
    const fixes: Array<[string, unknown]> = [];
    const editorsItem = this.#map._map.get('editors');
    let editors = this.#editors;
    if (editorsItem && !editorsItem.deleted) {
      const author = this.#author(editorsItem.id.client);
      const raw = this.#map.get('editors');
      if (author && isPrivileged(author.role) && isEditors(raw)) editors = raw;
      else fixes.push(['editors', this.#editors]);
    }
    const editorsChanged = editors !== this.#editors;
    this.#editors = editors;
    const item = this.#map._map.get('transport');
    let transport = this.#transport;
    if (item && !item.deleted) {
      const author = this.#author(item.id.client);
      const value = parseTransport(this.#map.get('transport'));
      if (
        value &&
        author &&
        this.#mayTransport(author) &&
        (value.clock === author.userId || value.clock === '')
      )
        transport = value;
      else fixes.push(['transport', this.#transport]);
    }
    const changed = editorsChanged || transport !== this.#transport;
    this.#transport = transport;
    if (heal && fixes.length > 0 && isPrivileged(this.#me.role)) {
      this.#doc.transact(() => {
        for (const [key, value] of fixes) this.#map.set(key, value);
      }, HEAL);
    }
    if (changed || fixes.length > 0) for (const listener of [...this.#listeners]) listener();
  }
}
