/**
 * ChatDoc: the studio's chat, in the studio's one Y.Doc.
 *
 * Layout: `chat: Y.Array<{ text, at }>`, appended to by each writer. A message's author and role are NOT
 * fields of the message: they come from the Yjs client id of the item (`item.id.client`), resolved through
 * the relay's attestations (ADR 0008); StudioSync already refuses items under another live player's
 * client id (update-guard.ts), so nobody can append as someone else. `at` is the writer's own clock (shown
 * as the time); the order is the array's, which everyone shares.
 *
 * Every item is checked by every reader, in array order, so all readers accept the same messages: a body
 * of 1–{@link CHAT_MAX_CHARS} characters, `at` never going back for one writer, at most
 * {@link CHAT_RATE_COUNT} messages per {@link CHAT_RATE_WINDOW_MS} of a user's own timestamps, and `at`
 * not far ahead of our clock. Refused items are skipped. Yjs deletions carry no author, so a message once
 * accepted stays in our log even if someone deletes its item; the log keeps the last {@link CHAT_KEEP}.
 */
import * as Y from 'yjs';
import type { Author, MixerResult } from './mixer-doc';

export const CHAT_MAX_CHARS = 1000;
export const CHAT_KEEP = 500;
export const CHAT_RATE_COUNT = 5;
export const CHAT_RATE_WINDOW_MS = 5000;
/**
 * How far ahead of our clock a writer's timestamp may be: home computers' clocks can be minutes off, and
 * a refused message is never shown, so this only stops absurd times (a year ahead), not floods.
 */
export const CHAT_FUTURE_SLACK_MS = 10 * 60_000;

export interface ChatAuthor extends Author {
  /** Display name, as the relay attested it for that visit. */
  name: string;
}

export interface ChatMessage {
  /** `client:clock` of its Yjs item: unique and unforgeable across the room. */
  key: string;
  userId: string;
  role: Author['role'];
  name: string;
  text: string;
  /** The writer's clock, epoch ms (for display only). */
  at: number;
  /** Arrival number in this browser (1, 2, …): counts unread messages past the log's trimming. */
  seq: number;
}

export interface ChatDocOptions {
  doc: Y.Doc;
  me: ChatAuthor;
  authorOf: (clientId: number) => ChatAuthor | null;
  /** Our epoch clock, ms. */
  now: () => number;
}

const ORIGIN = { chat: 'local' } as const;

/** The reason a body is refused, or null when it may be posted. */
export function checkBody(text: string): string | null {
  if (text.trim().length === 0) return 'Type a message first.';
  if (text.length > CHAT_MAX_CHARS) return `A message is at most ${CHAT_MAX_CHARS} characters.`;
  return null;
}

function parse(raw: unknown): { text: string; at: number } | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { text, at } = raw as Record<string, unknown>;
  if (typeof text !== 'string' || checkBody(text) !== null) return null;
  if (typeof at !== 'number' || !Number.isFinite(at) || at < 0) return null;
  return { text, at };
}

export class ChatDoc {
  readonly #doc: Y.Doc;
  readonly #array: Y.Array<unknown>;
  readonly #options: ChatDocOptions;
  /** Accepted messages, oldest first, at most CHAT_KEEP. */
  #log: ChatMessage[] = [];
  /** Keys already judged (accepted or refused), so each item is judged once. */
  readonly #judged = new Set<string>();
  /** Last accepted `at` per client, and accepted timestamps per user (for the rate). */
  readonly #lastAt = new Map<number, number>();
  readonly #recent = new Map<string, number[]>();
  #seq = 0;
  #refused = 0;
  readonly #listeners = new Set<() => void>();
  #disposed = false;

  constructor(options: ChatDocOptions) {
    this.#options = options;
    this.#doc = options.doc;
    this.#array = this.#doc.getArray('chat');
    this.#doc.on('afterTransaction', this.#onTransaction);
    this.#scan();
  }

  get messages(): readonly ChatMessage[] {
    return this.#log;
  }
  /** How many items this browser refused (forged, malformed, too long, too fast). */
  get refused(): number {
    return this.#refused;
  }
  get me(): ChatAuthor {
    return this.#options.me;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  post(text: string): MixerResult {
    if (this.#disposed) return { ok: false, code: 'invalid', message: 'The chat is closed.' };
    const problem = checkBody(text);
    if (problem) return { ok: false, code: 'invalid', message: problem };
    const at = Math.max(this.#options.now(), this.#lastAt.get(this.#doc.clientID) ?? 0);
    if (!this.#withinRate(this.#options.me.userId, at))
      return {
        ok: false,
        code: 'invalid',
        message: `Slow down: at most ${CHAT_RATE_COUNT} messages every ${CHAT_RATE_WINDOW_MS / 1000} seconds.`,
      };
    this.#doc.transact(() => {
      this.#array.push([{ text, at }]);
      this.#trimOwn();
    }, ORIGIN);
    return { ok: true };
  }

  /** Items whose author the relay had not attested yet are judged again (call when the roster grows). */
  recheck(): void {
    if (!this.#disposed) this.#scan();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#doc.off('afterTransaction', this.#onTransaction);
    this.#listeners.clear();
  }

  /**
   * Keeps the document bounded: beyond CHAT_KEEP items, we delete our OWN items among the oldest (we may
   * not delete others'; their writers trim theirs when they post).
   */
  #trimOwn(): void {
    let excess = this.#array.length - CHAT_KEEP;
    const runs: Array<[index: number, count: number]> = [];
    let index = 0;
    for (let item = this.#array._start; item && excess > 0; item = item.right) {
      if (item.deleted || !item.countable) continue;
      const count = Math.min(item.length, excess);
      if (item.id.client === this.#doc.clientID) runs.push([index, count]);
      excess -= count;
      index += item.length;
    }
    // From the end, so earlier indices stay valid.
    for (const [at, count] of runs.reverse()) this.#array.delete(at, count);
  }

  #withinRate(userId: string, at: number): boolean {
    const times = this.#recent.get(userId) ?? [];
    return times.filter((t) => t > at - CHAT_RATE_WINDOW_MS && t <= at).length < CHAT_RATE_COUNT;
  }

  #author(client: number): ChatAuthor | null {
    return client === this.#doc.clientID ? this.#options.me : this.#options.authorOf(client);
  }

  readonly #onTransaction = (tr: Y.Transaction): void => {
    for (const type of tr.changed.keys()) if ((type as unknown) === this.#array) return this.#scan();
  };

  /** Judges every item not judged yet, in array order. */
  #scan(): void {
    let changed = false;
    for (let item = this.#array._start; item; item = item.right) {
      if (item.deleted || !item.countable) continue;
      const values = item.content.getContent();
      for (let i = 0; i < values.length; i++) {
        const key = `${item.id.client}:${item.id.clock + i}`;
        if (this.#judged.has(key)) continue;
        const author = this.#author(item.id.client);
        // Not attested yet (its update outran the relay's word): judged on recheck().
        if (!author) continue;
        this.#judged.add(key);
        const message = this.#judge(key, item.id.client, author, values[i]);
        if (message) {
          this.#log.push(message);
          changed = true;
        } else this.#refused++;
      }
    }
    if (this.#log.length > CHAT_KEEP) this.#log = this.#log.slice(-CHAT_KEEP);
    if (changed) for (const listener of [...this.#listeners]) listener();
  }

  #judge(key: string, client: number, author: ChatAuthor, raw: unknown): ChatMessage | null {
    const value = parse(raw);
    if (!value) return null;
    if (value.at < (this.#lastAt.get(client) ?? 0)) return null;
    if (value.at > this.#options.now() + CHAT_FUTURE_SLACK_MS) return null;
    if (!this.#withinRate(author.userId, value.at)) return null;
    this.#lastAt.set(client, value.at);
    const times = (this.#recent.get(author.userId) ?? []).filter((t) => t > value.at - CHAT_RATE_WINDOW_MS);
    this.#recent.set(author.userId, [...times, value.at]);
    return {
      key,
      userId: author.userId,
      role: author.role,
      name: author.name,
      text: value.text,
      at: value.at,
      seq: ++this.#seq,
    };
  }
}
