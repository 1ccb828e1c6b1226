/** What each player shares about itself while in a studio (awareness state). Never persisted. */
import { isStudioRole, type StudioRole } from '../protocol/ticket';

/**
 * How a pair's audio can travel: `data` = our own Opus/PCM frames over a lossy data channel (needs
 * WebAssembly for Opus and transferable data channels), `track` = a tuned WebRTC audio track.
 */
export const AUDIO_PATHS = ['data', 'track'] as const;
export type AudioPath = (typeof AUDIO_PATHS)[number];

export interface Presence {
  /** Mesh peer id of this visit (one per tab). */
  peerId: string;
  userId: string;
  name: string;
  instrument: string;
  role: StudioRole;
  /** ms since epoch when this visit joined: orders the list stably. */
  joinedAt: number;
  /** Audio paths this visit can use; absent from older clients (they know only `data`). */
  audioPaths?: AudioPath[];
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
    typeof v.joinedAt === 'number' &&
    (v.audioPaths === undefined || isAudioPathList(v.audioPaths))
  );
}

function isAudioPathList(value: unknown): value is AudioPath[] {
  return (
    Array.isArray(value) &&
    value.length <= AUDIO_PATHS.length &&
    value.every((path) => (AUDIO_PATHS as readonly unknown[]).includes(path))
  );
}
