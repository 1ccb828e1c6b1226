/**
 * What peers send each other through the relay to form the mesh: the `data` of a targeted signaling
 * `publish` (`to` set). Since signaling v2 the relay says who is in the room (`subscribed`,
 * `peer-joined`, `peer-left`) and stamps every forwarded message with the sender's attested identity,
 * so a mesh signal names neither sender nor recipient. Rule: when two peers meet, the one with the
 * smaller relay-assigned peer id initiates the connection, so there is never offer glare on first
 * contact.
 *
 * - `signal`: one WebRTC description or ICE candidate for the recipient.
 */
export { isPeerId } from './attested.js';

export const MESH_SIGNAL_VERSION = 2;

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

export type MeshSignal = { type: 'signal'; v: number; signal: PeerSignal };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates one description or candidate (also used by the SFU's `sfu-signal`). */
export function parsePeerSignal(value: unknown): PeerSignal | null {
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
  if (!isRecord(value) || value.v !== MESH_SIGNAL_VERSION || value.type !== 'signal') return null;
  const signal = parsePeerSignal(value.signal);
  return signal ? { type: 'signal', v: MESH_SIGNAL_VERSION, signal } : null;
}
