import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { StudioRole } from '../protocol/ticket';
import { CHAT_KEEP, CHAT_MAX_CHARS, ChatDoc, type ChatAuthor } from './chat-doc';

interface Peer {
  doc: Y.Doc;
  chat: ChatDoc;
}

/** Players whose items are attributed by client id, as the relay's attestations do. */
function createRoom() {
  let clock = 1_000_000;
  const presence = new Map<number, ChatAuthor>();
  const peers: Peer[] = [];
  const join = (userId: string, role: StudioRole = 'member'): Peer => {
    const doc = new Y.Doc();
    const me = { userId, role, name: userId.toUpperCase() };
    presence.set(doc.clientID, me);
    const chat = new ChatDoc({
      doc,
      me,
      authorOf: (client) => presence.get(client) ?? null,
      now: () => clock,
    });
    const peer = { doc, chat };
    peers.push(peer);
    return peer;
  };
  /** A modified client: a doc the relay attests as `userId`, but without ChatDoc's checks. */
  const hostile = (userId: string): Y.Doc => {
    const doc = new Y.Doc();
    presence.set(doc.clientID, { userId, role: 'member', name: userId.toUpperCase() });
    peers.push({ doc, chat: null as unknown as ChatDoc });
    return doc;
  };
  const syncAll = () => {
    for (let round = 0; round < 2; round++)
      for (const from of peers)
        for (const to of peers)
          if (from !== to)
            Y.applyUpdate(to.doc, Y.encodeStateAsUpdate(from.doc, Y.encodeStateVector(to.doc)), 'remote');
  };
  const tick = (ms: number) => (clock += ms);
  const attest = (doc: Y.Doc, userId: string) =>
    presence.set(doc.clientID, { userId, role: 'member', name: userId.toUpperCase() });
  return { join, hostile, syncAll, tick, attest, now: () => clock };
}

const texts = (chat: ChatDoc) => chat.messages.map((m) => `${m.name}: ${m.text}`);

describe('ChatDoc', () => {
  it('shows each message with its attested author, role and writer time, in the same order for everyone', () => {
    const { join, syncAll, tick, now } = createRoom();
    const ann = join('ann', 'owner');
    const bob = join('bob');
    expect(ann.chat.post('Ready when you are').ok).toBe(true);
    syncAll();
    tick(1000);
    expect(bob.chat.post('Counting in').ok).toBe(true);
    syncAll();
    for (const peer of [ann, bob])
      expect(texts(peer.chat)).toEqual(['ANN: Ready when you are', 'BOB: Counting in']);
    expect(bob.chat.messages[0]).toMatchObject({ userId: 'ann', role: 'owner', at: now() - 1000 });
  });

  it('refuses empty and oversize bodies with a sentence', () => {
    const { join } = createRoom();
    const ann = join('ann');
    expect(ann.chat.post('   ')).toMatchObject({ ok: false, message: 'Type a message first.' });
    expect(ann.chat.post('x'.repeat(CHAT_MAX_CHARS + 1))).toMatchObject({
      ok: false,
      message: 'A message is at most 1000 characters.',
    });
    expect(ann.chat.post('x'.repeat(CHAT_MAX_CHARS)).ok).toBe(true);
  });

  it('hostile: author fields in the message are ignored; the writer is who the relay attested', () => {
    const { join, hostile, syncAll } = createRoom();
    const ann = join('ann', 'owner');
    const mal = hostile('mal');
    mal.getArray('chat').push([{ text: 'pay me', at: 1_000_000, userId: 'ann', name: 'ANN', role: 'owner' }]);
    syncAll();
    expect(ann.chat.messages).toHaveLength(1);
    expect(ann.chat.messages[0]).toMatchObject({
      userId: 'mal',
      name: 'MAL',
      role: 'member',
      text: 'pay me',
    });
  });

  it('hostile: oversize, malformed and far-future items are refused; honest ones still arrive', () => {
    const { join, hostile, syncAll } = createRoom();
    const ann = join('ann');
    const mal = hostile('mal');
    mal
      .getArray('chat')
      .push([
        { text: 'x'.repeat(CHAT_MAX_CHARS + 1), at: 1_000_000 },
        { text: 42, at: 1_000_000 },
        '<img src=x onerror=alert(1)>',
        { text: 'from the future', at: 1_000_000 + 11 * 60_000 },
      ]);
    syncAll();
    expect(ann.chat.messages).toEqual([]);
    expect(ann.chat.refused).toBe(4);
    expect(ann.chat.post('still here').ok).toBe(true);
    expect(texts(ann.chat)).toEqual(['ANN: still here']);
  });

  it('hostile: a flood beyond 5 messages per 5 s of the writer’s own clock is refused, for every reader', () => {
    const { join, hostile, syncAll, tick } = createRoom();
    const ann = join('ann');
    const bob = join('bob');
    const mal = hostile('mal');
    mal
      .getArray('chat')
      .push(Array.from({ length: 50 }, (_, i) => ({ text: `spam ${i}`, at: 1_000_000 + i })));
    syncAll();
    for (const peer of [ann, bob]) {
      expect(peer.chat.messages.map((m) => m.text)).toEqual([
        'spam 0',
        'spam 1',
        'spam 2',
        'spam 3',
        'spam 4',
      ]);
      expect(peer.chat.refused).toBe(45);
    }
    // Timestamps going back in time are refused too (they would dodge the window).
    tick(10_000);
    mal.getArray('chat').push([{ text: 'back then', at: 900_000 }]);
    syncAll();
    expect(ann.chat.messages).toHaveLength(5);
    // Our own client applies the same limit before posting, with a sentence.
    for (let i = 0; i < 5; i++) expect(ann.chat.post(`m${i}`).ok).toBe(true);
    expect(ann.chat.post('one too many')).toMatchObject({
      ok: false,
      message: expect.stringContaining('Slow down'),
    });
  });

  it('hostile: deleting or replacing someone else’s message does not remove it or put words in their mouth', () => {
    const { join, hostile, syncAll } = createRoom();
    const ann = join('ann');
    const bob = join('bob');
    const mal = hostile('mal');
    ann.chat.post('the bridge is in D');
    syncAll();
    const array = mal.getArray('chat');
    mal.transact(() => {
      array.delete(0, 1);
      array.insert(0, [{ text: 'the bridge is in E♭', at: 1_000_000 }]);
    });
    syncAll();
    expect(ann.doc.getArray('chat').length).toBe(1);
    for (const peer of [ann, bob])
      expect(texts(peer.chat)).toEqual(['ANN: the bridge is in D', 'MAL: the bridge is in E♭']);
  });

  it('an item arriving before its writer is attested is shown once the relay attests it', () => {
    const { join, attest } = createRoom();
    const ann = join('ann');
    const late = new Y.Doc();
    late.getArray('chat').push([{ text: 'hi', at: 1_000_000 }]);
    Y.applyUpdate(ann.doc, Y.encodeStateAsUpdate(late));
    expect(ann.chat.messages).toEqual([]);
    expect(ann.chat.refused).toBe(0);
    attest(late, 'zoe');
    ann.chat.recheck();
    expect(texts(ann.chat)).toEqual(['ZOE: hi']);
  });

  it(`keeps the last ${CHAT_KEEP} messages, and each writer trims only its own items from the document`, () => {
    const { join, syncAll, tick } = createRoom();
    const ann = join('ann');
    const bob = join('bob');
    bob.chat.post('first, from bob');
    syncAll();
    for (let i = 0; i < CHAT_KEEP + 20; i++) {
      tick(1001);
      expect(ann.chat.post(`n${i}`).ok).toBe(true);
    }
    syncAll();
    expect(ann.doc.getArray('chat').length).toBe(CHAT_KEEP + 1);
    expect(bob.doc.getArray('chat').get(0)).toMatchObject({ text: 'first, from bob' });
    for (const peer of [ann, bob]) {
      expect(peer.chat.messages).toHaveLength(CHAT_KEEP);
      expect(peer.chat.messages.at(-1)?.text).toBe(`n${CHAT_KEEP + 19}`);
    }
  });
});
