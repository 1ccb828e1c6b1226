/**
 * What peers publish to each other through the relay's studio topic to form the mesh (the `data` of a
 * signaling `publish`). Every peer has a random id per studio visit. Rule: when two peers meet, the one
 * with the smaller id initiates the connection, so there is never offer glare on first contact.
 *
 * - `announce`: "I am here" (to everyone, or `to` one peer in answer to its announce);
 * - `signal`: one WebRTC description or ICE candidate, for `to`;
 * - `leave`: "I am going", so others tear down at once instead of waiting for the link to time out.
 */
export const MESH_SIGNAL_VERSION = 1;
const PEER_ID = /^[A-Za-z0-9_-]{8,64}$/;

export type SessionDescriptionLike = { type: 'offer' | 'answer' | 'pranswer' | 'rollback'; sdp?: string };
export type IceCandidateLike = {
  candidate?: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
};

export type PeerSignal =
  | { kind: 'description'; description: SessionDescriptionLike }
  | { kind: 'candidate'; candidate: IceCandidateLike | null };

export type MeshSignal =
  | { type: 'announce'; v: number; from: string; to?: string }
  | { type: 'signal'; v: number; from: string; to: string; signal: PeerSignal }
  | { type: 'leave'; v: number; from: string };

export function isPeerId(value: unknown): value is string {
  return typeof value === 'string' && PEER_ID.test(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parsePeerSignal(value: unknown): PeerSignal | null {
  if (!isRecord(value)) return null;
  if (value.kind === 'description' && isRecord(value.description)) {
    const { type, sdp } = value.description;
    if (type !== 'offer' && type !== 'answer' && type !== 'pranswer' && type !== 'rollback') return null;
    if (sdp !== undefined && typeof sdp !== 'string') return null;
    return { kind: 'description', description: sdp === undefined ? { type } : { type, sdp } };
  }
  if (value.kind === 'candidate') {
    if (value.candidate === null) return { kind: 'candidate', candidate: null };
    if (!isRecord(value.candidate) || typeof value.candidate.candidate !== 'string') return null;
    const c = value.candidate;
    return {
      kind: 'candidate',
      candidate: {
        candidate: c.candidate as string,
        sdpMid: typeof c.sdpMid === 'string' ? c.sdpMid : null,
        sdpMLineIndex: typeof c.sdpMLineIndex === 'number' ? c.sdpMLineIndex : null,
        ...(typeof c.usernameFragment === 'string' ? { usernameFragment: c.usernameFragment } : {}),
      },
    };
  }
  return null;
}

/** Validates a published `data` value; `null` for anything that is not a well-formed mesh signal. */
export function parseMeshSignal(value: unknown): MeshSignal | null {
  if (!isRecord(value) || value.v !== MESH_SIGNAL_VERSION || !isPeerId(value.from)) return null;
  switch (value.type) {
    case 'announce':
      if (value.to !== undefined && !isPeerId(value.to)) return null;
      return {
        type: 'announce',
        v: MESH_SIGNAL_VERSION,
        from: value.from,
        ...(value.to ? { to: value.to } : {}),
      };
    case 'signal': {
      const signal = parsePeerSignal(value.signal);
      if (!isPeerId(value.to) || !signal) return null;
      return { type: 'signal', v: MESH_SIGNAL_VERSION, from: value.from, to: value.to, signal };
    }
    case 'leave':
      return { type: 'leave', v: MESH_SIGNAL_VERSION, from: value.from };
    default:
      return null;
  }
}
