/**
 * The signaling channel between a browser and the relay (WebSocket, JSON text frames).
 *
 * It started as y-webrtc's signaling protocol (`subscribe`, `unsubscribe`, `publish`, `ping`/`pong`);
 * version 2 makes the relay the authority on who is in a room (ADR 0008):
 * - `subscribe` carries a room ticket and the Yjs client id the page's document writes with;
 * - the relay binds the connection to the ticket, assigns it a peer id and answers `subscribed` with
 *   the connection's own attested identity, everyone already in the room, and the identities of
 *   earlier visits since the room opened (so Yjs writes of players who left can still be attributed);
 * - `publish` with `to` reaches that one peer only; without it, every other subscriber. Every
 *   forwarded `publish` carries `from`, the sender's attested identity, set by the relay;
 * - the relay alone says who joined (`peer-joined`), changed role (`peer-updated`) or left
 *   (`peer-left`); there is no client-sent announce or leave any more;
 * - problems come as `error` (a stable code, a sentence, the topic when there is one). Errors that end
 *   the connection are sent just before the relay closes the socket;
 * - "everyone knows" (issue 9): a client says `recording` on/off for itself only; the relay checks the
 *   ticket's `rec` (and later changes of the studio setting), keeps the flag per seat and tells the
 *   whole room `peer-recording` with the attested peer id; `subscribed` lists who records now.
 *
 * Parsing never throws: it returns a tagged result so the caller can answer with an error code.
 */
import { isPeerId, isYjsClientId, parseAttestedPeer, type AttestedPeer } from './attested.js';
import { ErrorCode } from './errors.js';
import { parsePeerSignal } from './mesh-signal.js';
import {
  isRoomMode,
  parseSfuSources,
  type RoomRouteMessage,
  type RouteRequestMessage,
  type SfuSignalMessage,
} from './sfu.js';

export type { RoomRouteMessage, RouteRequestMessage, SfuSignalMessage } from './sfu.js';

export const SIGNALING_VERSION = 2;
/** Most earlier visits a `subscribed` lists (the relay keeps the newest). */
export const SIGNALING_MAX_PAST_PEERS = 256;
/** Largest text frame the relay accepts; larger frames close the socket with code 1009. */
export const SIGNALING_MAX_FRAME_BYTES = 64 * 1024;
/** Longest topic name. */
export const SIGNALING_MAX_TOPIC_LENGTH = 128;
/** Topics one `subscribe` may name. */
export const SIGNALING_MAX_TOPICS_PER_MESSAGE = 8;
/**
 * `recording` toggles one connection may send per second (burst the same); more are refused with
 * `rate-limited`, the socket stays (the general message limit disconnects real floods).
 */
export const RECORDING_TOGGLES_PER_SECOND = 4;

/** WebSocket close codes the relay uses, with the standard ones it relies on. */
export const SignalingClose = {
  Normal: 1000,
  GoingAway: 1001,
  PolicyViolation: 1008,
  TooLarge: 1009,
} as const;

// ---- browser → relay ---------------------------------------------------------------------------

export interface SubscribeMessage {
  type: 'subscribe';
  topics: string[];
  /** Room ticket for the studio topics named; required for `studio/…` topics. */
  ticket?: string;
  /** The Yjs client id of this page's studio document; required with a ticket. */
  client?: number;
  /**
   * Resume an earlier visit of this page after the socket dropped (or the relay restarted): keep its
   * peer id, so peers keep their links. `token` is the one the relay gave in `subscribed`; it is bound
   * to the studio, user, client id and peer id, so it resumes only this page's own visit.
   */
  resume?: ResumeClaim;
}
export interface ResumeClaim {
  peerId: string;
  token: string;
}
export interface UnsubscribeMessage {
  type: 'unsubscribe';
  topics: string[];
}
export interface PublishMessage {
  type: 'publish';
  topic: string;
  data: unknown;
  /** Deliver to this peer only (it must be in the topic); without it, to every other subscriber. */
  to?: string;
}
export interface PingMessage {
  type: 'ping';
}
/**
 * This connection starts or stops recording. It names no peer and no topic: the relay applies it to
 * the seat this connection holds, so nobody can set another's flag. Any other field is refused.
 */
export interface RecordingMessage {
  type: 'recording';
  on: boolean;
}
export type ClientMessage =
  | SubscribeMessage
  | UnsubscribeMessage
  | PublishMessage
  | PingMessage
  | SfuSignalMessage
  | RouteRequestMessage
  | RecordingMessage;

// ---- relay → browser ---------------------------------------------------------------------------

export interface WelcomeMessage {
  type: 'welcome';
  version: number;
}
/** A participant as `subscribed` lists it: its attested identity, and `recording: true` while it records. */
export interface RoomPeer extends AttestedPeer {
  recording?: boolean;
}
export interface SubscribedMessage {
  type: 'subscribed';
  topic: string;
  /** Subscribers of the topic, this connection included. */
  clients: number;
  /** This connection, as the relay attests it to everyone else (`recording` after a resume). */
  self: RoomPeer;
  /** Everyone else in the topic now; those recording carry `recording: true`. */
  peers: RoomPeer[];
  /**
   * Whether the relay lets this connection record now (the ticket's `rec`, or a later change of the
   * studio setting or of our role). Absent: false.
   */
  mayRecord?: boolean;
  /** Earlier visits since the room opened (newest last, at most SIGNALING_MAX_PAST_PEERS). */
  past: AttestedPeer[];
  /** Present `{peerId: self.peerId, token: resume}` on a later subscribe to keep this peer id. */
  resume: string;
}
export interface ForwardedPublishMessage {
  type: 'publish';
  topic: string;
  data: unknown;
  /** The sender, attested by the relay. */
  from: AttestedPeer;
  clients: number;
}
export interface PeerJoinedMessage {
  type: 'peer-joined';
  topic: string;
  peer: AttestedPeer;
}
/** A participant's attested identity changed (a role change in PocketBase); may concern `self`. */
export interface PeerUpdatedMessage {
  type: 'peer-updated';
  topic: string;
  peer: AttestedPeer;
}
export interface PeerLeftMessage {
  type: 'peer-left';
  topic: string;
  peerId: string;
  /** Why, when the relay knows: an ErrorCode (`membership-revoked`, `ticket-replaced`, …) or 'left'. */
  reason: string;
}
/** A participant started or stopped recording (everyone hears it, the recorder included). */
export interface PeerRecordingMessage {
  type: 'peer-recording';
  topic: string;
  /** The relay's peer id of the seat that sent `recording` (never a client-chosen id). */
  peerId: string;
  on: boolean;
}
/** Whether this connection may record changed (studio setting or role); sent to that connection only. */
export interface RecordingPermissionMessage {
  type: 'recording-permission';
  topic: string;
  allowed: boolean;
}
export interface PongMessage {
  type: 'pong';
}
export interface ErrorMessage {
  type: 'error';
  code: ErrorCode;
  message: string;
  /** The topic the error concerns, when there is one. */
  topic?: string;
}
export type ServerMessage =
  | WelcomeMessage
  | SubscribedMessage
  | ForwardedPublishMessage
  | PeerJoinedMessage
  | PeerUpdatedMessage
  | PeerLeftMessage
  | PeerRecordingMessage
  | RecordingPermissionMessage
  | PongMessage
  | ErrorMessage
  | SfuSignalMessage
  | RoomRouteMessage;

// ---- parsing -----------------------------------------------------------------------------------

export type ParseResult<T> = { ok: true; message: T } | { ok: false; code: ErrorCode; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Resume tokens are base64url HMACs; anything else is not one. */
function isResumeToken(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(value);
}

function parsePeerList(value: unknown): AttestedPeer[] | null {
  if (!Array.isArray(value) || value.length > SIGNALING_MAX_PAST_PEERS) return null;
  const peers: AttestedPeer[] = [];
  for (const entry of value) {
    const peer = parseAttestedPeer(entry);
    if (!peer) return null;
    peers.push(peer);
  }
  return peers;
}

/** An attested peer plus its recording flag: only `recording: true` counts, anything else is false. */
function parseRoomPeer(value: unknown): RoomPeer | null {
  const peer = parseAttestedPeer(value);
  if (!peer) return null;
  return (value as { recording?: unknown }).recording === true ? { ...peer, recording: true } : peer;
}

function parseRoomPeers(value: unknown): RoomPeer[] | null {
  if (!Array.isArray(value) || value.length > SIGNALING_MAX_PAST_PEERS) return null;
  const peers: RoomPeer[] = [];
  for (const entry of value) {
    const peer = parseRoomPeer(entry);
    if (!peer) return null;
    peers.push(peer);
  }
  return peers;
}

function isTopic(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= SIGNALING_MAX_TOPIC_LENGTH;
}

function parseTopics(value: unknown): string[] | null {
  if (!Array.isArray(value) || value.length === 0 || value.length > SIGNALING_MAX_TOPICS_PER_MESSAGE) {
    return null;
  }
  return value.every(isTopic) ? (value as string[]) : null;
}

function fail<T>(reason: string, code: ErrorCode = ErrorCode.Malformed): ParseResult<T> {
  return { ok: false, code, reason };
}

/** Validates one text frame from a browser. */
export function parseClientMessage(text: string): ParseResult<ClientMessage> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('The message is not valid JSON.');
  }
  if (!isRecord(value) || typeof value.type !== 'string') {
    return fail('The message must be a JSON object with a "type".');
  }
  switch (value.type) {
    case 'subscribe': {
      const topics = parseTopics(value.topics);
      if (!topics) return fail(`"subscribe" needs 1–${SIGNALING_MAX_TOPICS_PER_MESSAGE} topic names.`);
      if (value.ticket !== undefined && typeof value.ticket !== 'string') {
        return fail('"ticket" must be a string.');
      }
      if (value.client !== undefined && !isYjsClientId(value.client)) {
        return fail('"client" must be a Yjs client id (an unsigned 32-bit integer).');
      }
      const message: SubscribeMessage = { type: 'subscribe', topics };
      if (typeof value.ticket === 'string') message.ticket = value.ticket;
      if (isYjsClientId(value.client)) message.client = value.client;
      if (value.resume !== undefined) {
        const resume = value.resume as Partial<ResumeClaim> | null;
        if (!isRecord(resume) || !isPeerId(resume.peerId) || !isResumeToken(resume.token)) {
          return fail('"resume" must be {peerId, token} from an earlier "subscribed".');
        }
        message.resume = { peerId: resume.peerId, token: resume.token };
      }
      return { ok: true, message };
    }
    case 'unsubscribe': {
      const topics = parseTopics(value.topics);
      if (!topics) return fail('"unsubscribe" needs a list of topic names.');
      return { ok: true, message: { type: 'unsubscribe', topics } };
    }
    case 'publish': {
      if (!isTopic(value.topic)) return fail('"publish" needs a "topic".');
      if (value.to !== undefined && !isPeerId(value.to)) return fail('"to" must be a peer id.');
      const message: PublishMessage = { type: 'publish', topic: value.topic, data: value.data };
      if (isPeerId(value.to)) message.to = value.to;
      return { ok: true, message };
    }
    case 'ping':
      return { ok: true, message: { type: 'ping' } };
    case 'sfu-signal': {
      const signal = parsePeerSignal(value.signal);
      if (!isTopic(value.topic) || !signal)
        return fail('"sfu-signal" needs a topic and a description or candidate.');
      return { ok: true, message: { type: 'sfu-signal', topic: value.topic, signal } };
    }
    case 'recording': {
      // Strict: exactly {type, on}. A `peerId`, `topic` or anything else means the sender believes it
      // can say something the relay decides (whose flag), so the message is refused, not trimmed.
      const extra = Object.keys(value).filter((key) => key !== 'type' && key !== 'on');
      if (typeof value.on !== 'boolean' || extra.length > 0) {
        return fail('"recording" is exactly {"type":"recording","on":true|false}; it names no peer.');
      }
      return { ok: true, message: { type: 'recording', on: value.on } };
    }
    case 'route-request':
      if (!isTopic(value.topic) || typeof value.unreachable !== 'boolean') {
        return fail('"route-request" needs a topic and "unreachable" (true or false).');
      }
      return {
        ok: true,
        message: { type: 'route-request', topic: value.topic, unreachable: value.unreachable },
      };
    default:
      return fail(`Unknown message type "${value.type.slice(0, 32)}".`);
  }
}

/** Validates one text frame from the relay. */
export function parseServerMessage(text: string): ParseResult<ServerMessage> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('The relay sent a message that is not JSON.');
  }
  if (!isRecord(value) || typeof value.type !== 'string') {
    return fail('The relay sent a message without a "type".');
  }
  switch (value.type) {
    case 'welcome':
      if (typeof value.version !== 'number') return fail('"welcome" without a version.');
      return { ok: true, message: { type: 'welcome', version: value.version } };
    case 'subscribed': {
      const self = parseRoomPeer(value.self);
      const peers = parseRoomPeers(value.peers);
      const past = parsePeerList(value.past);
      if (
        !isTopic(value.topic) ||
        typeof value.clients !== 'number' ||
        !self ||
        !peers ||
        !past ||
        !isResumeToken(value.resume)
      ) {
        return fail('Bad "subscribed".');
      }
      return {
        ok: true,
        message: {
          type: 'subscribed',
          topic: value.topic,
          clients: value.clients,
          self,
          peers,
          past,
          resume: value.resume,
          mayRecord: value.mayRecord === true,
        },
      };
    }
    case 'publish': {
      const from = parseAttestedPeer(value.from);
      if (!isTopic(value.topic) || !from) return fail('"publish" without a topic or an attested sender.');
      return {
        ok: true,
        message: {
          type: 'publish',
          topic: value.topic,
          data: value.data,
          from,
          clients: typeof value.clients === 'number' ? value.clients : 0,
        },
      };
    }
    case 'peer-joined':
    case 'peer-updated': {
      const peer = parseAttestedPeer(value.peer);
      if (!isTopic(value.topic) || !peer) return fail(`Bad "${value.type}".`);
      return { ok: true, message: { type: value.type, topic: value.topic, peer } };
    }
    case 'peer-left':
      if (!isTopic(value.topic) || !isPeerId(value.peerId)) return fail('Bad "peer-left".');
      return {
        ok: true,
        message: {
          type: 'peer-left',
          topic: value.topic,
          peerId: value.peerId,
          reason: typeof value.reason === 'string' ? value.reason.slice(0, 64) : 'left',
        },
      };
    case 'peer-recording':
      if (!isTopic(value.topic) || !isPeerId(value.peerId) || typeof value.on !== 'boolean') {
        return fail('Bad "peer-recording".');
      }
      return {
        ok: true,
        message: { type: 'peer-recording', topic: value.topic, peerId: value.peerId, on: value.on },
      };
    case 'recording-permission':
      if (!isTopic(value.topic) || typeof value.allowed !== 'boolean') {
        return fail('Bad "recording-permission".');
      }
      return {
        ok: true,
        message: { type: 'recording-permission', topic: value.topic, allowed: value.allowed },
      };
    case 'pong':
      return { ok: true, message: { type: 'pong' } };
    case 'sfu-signal': {
      const signal = parsePeerSignal(value.signal);
      if (!isTopic(value.topic) || !signal) return fail('Bad "sfu-signal".');
      return { ok: true, message: { type: 'sfu-signal', topic: value.topic, signal } };
    }
    case 'room-route': {
      const sources = parseSfuSources(value.sources);
      if (!isTopic(value.topic) || !isRoomMode(value.mode) || !sources) return fail('Bad "room-route".');
      return { ok: true, message: { type: 'room-route', topic: value.topic, mode: value.mode, sources } };
    }
    case 'error':
      if (typeof value.code !== 'string' || typeof value.message !== 'string') return fail('Bad "error".');
      return {
        ok: true,
        message: {
          type: 'error',
          code: value.code as ErrorCode,
          message: value.message,
          ...(isTopic(value.topic) ? { topic: value.topic } : {}),
        },
      };
    default:
      return fail(`Unknown message type "${value.type.slice(0, 32)}" from the relay.`);
  }
}
