/** What each player shares about itself while in a studio (awareness state). Never persisted. */
import { isStudioRole, type StudioRole } from '../protocol/ticket';

export interface Presence {
  /** Mesh peer id of this visit (one per tab). */
  peerId: string;
  userId: string;
  name: string;
  instrument: string;
  role: StudioRole;
  /** ms since epoch when this visit joined: orders the list stably. */
  joinedAt: number;
}

export interface PresentPeer extends Presence {
  clientId: number;
  self: boolean;
}

const MAX_TEXT = 80;

function isShortText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TEXT;
}

/** Awareness states come from other browsers: accept only well-formed ones. */
export function isPresence(value: unknown): value is Presence {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    isShortText(v.peerId) &&
    isShortText(v.userId) &&
    isShortText(v.name) &&
    isShortText(v.instrument) &&
    isStudioRole(v.role) &&
    typeof v.joinedAt === 'number'
  );
}
