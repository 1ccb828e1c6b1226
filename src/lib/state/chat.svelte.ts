/**
 * The studio chat as reactive state for the studio page: messages come from the ChatDoc (Yjs) through
 * `createSubscriber`; a refused post keeps its sentence until the next one. The doc belongs to the session.
 */
import { createSubscriber } from 'svelte/reactivity';
import type { ChatLine, ChatView } from '../components/ChatPanel.svelte';
import { CHAT_MAX_CHARS, type ChatDoc } from '../sync/chat-doc';

export class ChatState implements ChatView {
  readonly #doc: ChatDoc;
  readonly #subscribe: () => void;
  readonly maxChars = CHAT_MAX_CHARS;
  #refusal = $state<string | null>(null);

  constructor(options: { doc: ChatDoc }) {
    this.#doc = options.doc;
    this.#subscribe = createSubscriber((update) => options.doc.subscribe(update));
  }

  get messages(): ChatLine[] {
    this.#subscribe();
    const me = this.#doc.me.userId;
    return this.#doc.messages.map((m) => ({ ...m, mine: m.userId === me }));
  }

  get refusal(): string | null {
    return this.#refusal;
  }

  post(text: string): boolean {
    const result = this.#doc.post(text);
    this.#refusal = result.ok ? null : result.message;
    return result.ok;
  }
}
