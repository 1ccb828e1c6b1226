/**
 * The signaling channel between a browser and the relay (WebSocket, JSON text frames).
 *
 * It is y-webrtc's signaling protocol (`subscribe`, `unsubscribe`, `publish`, `ping`/`pong`) with
 * three additions: `subscribe` carries a room ticket, the relay answers `welcome` with its protocol
 * version on connect, and the relay reports problems with `error` (a stable code, a sentence, and
 * the offending message type when known). A relay forwards `publish` to every subscriber of the topic,
 * the sender included (as y-webrtc's server does), adding `clients`, the topic's subscriber count.
 *
 * Parsing never throws: it returns a tagged result so the caller can answer with an error code.
 */
import { ErrorCode } from './errors.js';

export const SIGNALING_VERSION = 1;
/** Largest text frame the relay accepts; larger frames close the socket with code 1009. */
export const SIGNALING_MAX_FRAME_BYTES = 64 * 1024;
/** Longest topic name. */
export const SIGNALING_MAX_TOPIC_LENGTH = 128;
/** Topics one `subscribe` may name. */
export const SIGNALING_MAX_TOPICS_PER_MESSAGE = 8;

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
}
export interface UnsubscribeMessage {
  type: 'unsubscribe';
  topics: string[];
}
export interface PublishMessage {
  type: 'publish';
  topic: string;
  data: unknown;
}
export interface PingMessage {
  type: 'ping';
}
export type ClientMessage = SubscribeMessage | UnsubscribeMessage | PublishMessage | PingMessage;

// ---- relay → browser ---------------------------------------------------------------------------

export interface WelcomeMessage {
  type: 'welcome';
  version: number;
}
export interface SubscribedMessage {
  type: 'subscribed';
  topic: string;
  /** Subscribers of the topic, this connection included. */
  clients: number;
}
export interface ForwardedPublishMessage {
  type: 'publish';
  topic: string;
  data: unknown;
  clients: number;
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
  WelcomeMessage | SubscribedMessage | ForwardedPublishMessage | PongMessage | ErrorMessage;

// ---- parsing -----------------------------------------------------------------------------------

export type ParseResult<T> = { ok: true; message: T } | { ok: false; code: ErrorCode; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
      const message: SubscribeMessage = { type: 'subscribe', topics };
      if (typeof value.ticket === 'string') message.ticket = value.ticket;
      return { ok: true, message };
    }
    case 'unsubscribe': {
      const topics = parseTopics(value.topics);
      if (!topics) return fail('"unsubscribe" needs a list of topic names.');
      return { ok: true, message: { type: 'unsubscribe', topics } };
    }
    case 'publish':
      if (!isTopic(value.topic)) return fail('"publish" needs a "topic".');
      return { ok: true, message: { type: 'publish', topic: value.topic, data: value.data } };
    case 'ping':
      return { ok: true, message: { type: 'ping' } };
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
    case 'subscribed':
      if (!isTopic(value.topic) || typeof value.clients !== 'number') return fail('Bad "subscribed".');
      return { ok: true, message: { type: 'subscribed', topic: value.topic, clients: value.clients } };
    case 'publish':
      if (!isTopic(value.topic)) return fail('"publish" without a topic.');
      return {
        ok: true,
        message: {
          type: 'publish',
          topic: value.topic,
          data: value.data,
          clients: typeof value.clients === 'number' ? value.clients : 0,
        },
      };
    case 'pong':
      return { ok: true, message: { type: 'pong' } };
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
