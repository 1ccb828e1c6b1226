/**
 * The chat of one studio visit, as composition: ChatDoc over the studio doc, with authors resolved
 * through the relay-attested roster (live and past visits), as the mixer and the metronome do.
 */
import type { StudioRole } from '../protocol/ticket';
import type { Roster } from '../net/roster';
import { ChatDoc } from '../sync/chat-doc';
import type { StudioSync } from '../sync/studio-sync';

export interface StudioChat {
  readonly doc: ChatDoc;
  dispose(): void;
}

export function createStudioChat(options: {
  sync: StudioSync;
  roster: Roster;
  me: { userId: string; role: StudioRole; name: string };
}): StudioChat {
  const { roster } = options;
  const doc = new ChatDoc({
    doc: options.sync.doc,
    me: options.me,
    authorOf: (client) => {
      const peer = roster.byClient(client);
      return peer ? { userId: peer.userId, role: peer.role, name: peer.name } : null;
    },
    now: () => performance.timeOrigin + performance.now(),
  });
  // A newcomer's messages may arrive before the relay attested it: judge them once it has.
  const offs = [
    roster.events.on('joined', () => doc.recheck()),
    roster.events.on('reset', () => doc.recheck()),
  ];
  let disposed = false;
  return {
    doc,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const off of offs) off();
      doc.dispose();
    },
  };
}
