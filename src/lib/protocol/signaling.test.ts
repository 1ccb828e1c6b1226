import { describe, expect, it } from 'vitest';
import { ErrorCode } from './errors.js';
import {
  SIGNALING_MAX_TOPIC_LENGTH,
  SIGNALING_MAX_TOPICS_PER_MESSAGE,
  parseClientMessage,
  parseServerMessage,
} from './signaling.js';

const client = (value: unknown) => parseClientMessage(JSON.stringify(value));
const server = (value: unknown) => parseServerMessage(JSON.stringify(value));

describe('parseClientMessage', () => {
  it('carries a client id, a resume claim and a target only when well-formed', () => {
    const resume = { peerId: 'peer-ada-0001', token: 'abcdefghijklmnopqrstuv' };
    expect(client({ type: 'subscribe', topics: ['studio/a'], ticket: 't', client: 7, resume })).toEqual({
      ok: true,
      message: { type: 'subscribe', topics: ['studio/a'], ticket: 't', client: 7, resume },
    });
    expect(client({ type: 'publish', topic: 'studio/a', data: 1, to: 'peer-bob-0001' })).toEqual({
      ok: true,
      message: { type: 'publish', topic: 'studio/a', data: 1, to: 'peer-bob-0001' },
    });
    for (const bad of [
      { type: 'subscribe', topics: ['studio/a'], client: -1 },
      { type: 'subscribe', topics: ['studio/a'], client: 2 ** 32 },
      { type: 'subscribe', topics: ['studio/a'], client: 7, resume: { peerId: 'x', token: resume.token } },
      {
        type: 'subscribe',
        topics: ['studio/a'],
        client: 7,
        resume: { peerId: resume.peerId, token: 'short' },
      },
      { type: 'subscribe', topics: ['studio/a'], client: 7, resume: 'token' },
      { type: 'publish', topic: 'studio/a', data: 1, to: 'not a peer id!' },
    ]) {
      expect(client(bad)).toMatchObject({ ok: false, code: ErrorCode.Malformed });
    }
  });

  it('accepts every client message type', () => {
    expect(client({ type: 'subscribe', topics: ['studio/a'], ticket: 't' })).toEqual({
      ok: true,
      message: { type: 'subscribe', topics: ['studio/a'], ticket: 't' },
    });
    expect(client({ type: 'subscribe', topics: ['studio/a'] })).toEqual({
      ok: true,
      message: { type: 'subscribe', topics: ['studio/a'] },
    });
    expect(client({ type: 'unsubscribe', topics: ['studio/a'] })).toEqual({
      ok: true,
      message: { type: 'unsubscribe', topics: ['studio/a'] },
    });
    expect(client({ type: 'publish', topic: 'studio/a', data: { x: [1] } })).toEqual({
      ok: true,
      message: { type: 'publish', topic: 'studio/a', data: { x: [1] } },
    });
    expect(client({ type: 'ping' })).toEqual({ ok: true, message: { type: 'ping' } });
  });

  it('drops unknown fields instead of passing them on', () => {
    const result = client({ type: 'ping', extra: 'x' });
    expect(result).toEqual({ ok: true, message: { type: 'ping' } });
  });

  it.each([
    ['not JSON', '{'],
    ['a string', '"subscribe"'],
    ['null', 'null'],
    ['an array', '[{"type":"ping"}]'],
    ['no type', '{"topics":["a"]}'],
    ['a numeric type', '{"type":1}'],
    ['an unknown type', '{"type":"announce"}'],
    ['subscribe without topics', '{"type":"subscribe"}'],
    ['subscribe with empty topics', '{"type":"subscribe","topics":[]}'],
    ['subscribe with a non-string topic', '{"type":"subscribe","topics":[1]}'],
    ['subscribe with an empty topic', '{"type":"subscribe","topics":[""]}'],
    ['subscribe with a numeric ticket', '{"type":"subscribe","topics":["a"],"ticket":1}'],
    ['unsubscribe with a string', '{"type":"unsubscribe","topics":"a"}'],
    ['publish without topic', '{"type":"publish","data":1}'],
  ])('refuses %s as malformed', (_label, text) => {
    const result = parseClientMessage(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe(ErrorCode.Malformed);
      expect(result.reason.length).toBeGreaterThan(0);
    }
  });

  it('enforces topic length and count limits', () => {
    const long = 'x'.repeat(SIGNALING_MAX_TOPIC_LENGTH + 1);
    expect(client({ type: 'publish', topic: long, data: 1 }).ok).toBe(false);
    expect(client({ type: 'publish', topic: long.slice(1), data: 1 }).ok).toBe(true);
    const many = Array.from({ length: SIGNALING_MAX_TOPICS_PER_MESSAGE + 1 }, (_, i) => `t${i}`);
    expect(client({ type: 'subscribe', topics: many }).ok).toBe(false);
    expect(client({ type: 'subscribe', topics: many.slice(1) }).ok).toBe(true);
  });

  it('bounds the echoed type in the reason', () => {
    const result = client({ type: 'y'.repeat(10_000) });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason.length).toBeLessThan(100);
  });
});

describe('parseServerMessage', () => {
  const ada = {
    peerId: 'peer-ada-0001',
    userId: 'ada',
    role: 'owner',
    name: 'Ada',
    instrument: 'bass',
    client: 7,
    joinedAt: 1,
  };

  it('accepts every server message type', () => {
    expect(server({ type: 'welcome', version: 2 })).toEqual({
      ok: true,
      message: { type: 'welcome', version: 2 },
    });
    const subscribed = {
      type: 'subscribed',
      topic: 'studio/a',
      clients: 2,
      self: ada,
      peers: [],
      past: [ada],
      resume: 'abcdefghijklmnopqrstuv',
    };
    // Absent mayRecord is false.
    expect(server(subscribed)).toEqual({ ok: true, message: { ...subscribed, mayRecord: false } });
    expect(server({ type: 'publish', topic: 'studio/a', data: 'd', from: ada, clients: 3 })).toEqual({
      ok: true,
      message: { type: 'publish', topic: 'studio/a', data: 'd', from: ada, clients: 3 },
    });
    for (const type of ['peer-joined', 'peer-updated']) {
      expect(server({ type, topic: 'studio/a', peer: ada })).toEqual({
        ok: true,
        message: { type, topic: 'studio/a', peer: ada },
      });
    }
    expect(server({ type: 'peer-left', topic: 'studio/a', peerId: ada.peerId, reason: 'left' })).toEqual({
      ok: true,
      message: { type: 'peer-left', topic: 'studio/a', peerId: ada.peerId, reason: 'left' },
    });
    expect(server({ type: 'pong' })).toEqual({ ok: true, message: { type: 'pong' } });
    expect(server({ type: 'error', code: 'ticket-expired', message: 'm', topic: 'studio/a' })).toEqual({
      ok: true,
      message: { type: 'error', code: 'ticket-expired', message: 'm', topic: 'studio/a' },
    });
  });

  it('refuses a publish without an attested sender, and malformed identities', () => {
    expect(server({ type: 'publish', topic: 't', data: 1 }).ok).toBe(false);
    expect(server({ type: 'publish', topic: 't', data: 1, from: { ...ada, role: 'god' } }).ok).toBe(false);
    expect(server({ type: 'peer-joined', topic: 't', peer: { ...ada, peerId: 'x' } }).ok).toBe(false);
    expect(server({ type: 'peer-joined', topic: 't', peer: { ...ada, client: -1 } }).ok).toBe(false);
    expect(server({ type: 'subscribed', topic: 't', clients: 1, self: ada, peers: [{}], past: [] }).ok).toBe(
      false,
    );
  });

  it.each([
    ['not JSON', 'nope'],
    ['no type', '{}'],
    ['welcome without version', '{"type":"welcome"}'],
    ['subscribed without clients', '{"type":"subscribed","topic":"t"}'],
    ['publish without topic', '{"type":"publish","data":1}'],
    ['error without code', '{"type":"error","message":"m"}'],
    ['error with a numeric message', '{"type":"error","code":"malformed","message":1}'],
    ['an unknown type', '{"type":"announce"}'],
  ])('refuses %s', (_label, text) => {
    const result = parseServerMessage(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe(ErrorCode.Malformed);
  });
});

describe('recording messages', () => {
  const ada = {
    peerId: 'peer-ada-0001',
    userId: 'ada',
    role: 'member',
    name: 'Ada',
    instrument: 'bass',
    client: 7,
    joinedAt: 1,
  };

  it('accepts exactly {type: recording, on} from a client and refuses any other shape', () => {
    expect(client({ type: 'recording', on: true })).toEqual({
      ok: true,
      message: { type: 'recording', on: true },
    });
    expect(client({ type: 'recording', on: false })).toEqual({
      ok: true,
      message: { type: 'recording', on: false },
    });
    for (const bad of [
      { type: 'recording' },
      { type: 'recording', on: 'true' },
      { type: 'recording', on: 1 },
      { type: 'recording', on: null },
      // Naming a peer (whose flag) or a topic is the relay's business, not the sender's.
      { type: 'recording', on: true, peerId: 'peer-bob-0001' },
      { type: 'recording', on: true, topic: 'studio/a' },
      { type: 'recording', on: true, from: ada },
    ]) {
      expect(client(bad), JSON.stringify(bad)).toMatchObject({ ok: false, code: ErrorCode.Malformed });
    }
  });

  it('parses peer-recording and recording-permission strictly', () => {
    expect(server({ type: 'peer-recording', topic: 'studio/a', peerId: ada.peerId, on: true })).toEqual({
      ok: true,
      message: { type: 'peer-recording', topic: 'studio/a', peerId: ada.peerId, on: true },
    });
    expect(server({ type: 'recording-permission', topic: 'studio/a', allowed: false })).toEqual({
      ok: true,
      message: { type: 'recording-permission', topic: 'studio/a', allowed: false },
    });
    expect(server({ type: 'peer-recording', topic: 'studio/a', peerId: 'x', on: true }).ok).toBe(false);
    expect(server({ type: 'peer-recording', topic: 'studio/a', peerId: ada.peerId, on: 'yes' }).ok).toBe(
      false,
    );
    expect(server({ type: 'peer-recording', topic: 'studio/a', peerId: ada.peerId }).ok).toBe(false);
    expect(server({ type: 'recording-permission', topic: 'studio/a', allowed: 1 }).ok).toBe(false);
  });

  it('keeps recording: true on subscribed entries and reads anything else as not recording', () => {
    const parsed = server({
      type: 'subscribed',
      topic: 'studio/a',
      clients: 3,
      self: { ...ada, recording: true },
      peers: [
        { ...ada, peerId: 'peer-bob-0001', client: 8, recording: true },
        { ...ada, peerId: 'peer-cy-00001', client: 9, recording: 'yes' },
      ],
      past: [],
      resume: 'abcdefghijklmnopqrstuv',
      mayRecord: true,
    });
    if (!parsed.ok || parsed.message.type !== 'subscribed') throw new Error('not parsed');
    expect(parsed.message.self.recording).toBe(true);
    expect(parsed.message.peers.map((p) => p.recording === true)).toEqual([true, false]);
    expect(parsed.message.peers[1]).not.toHaveProperty('recording');
    expect(parsed.message.mayRecord).toBe(true);
  });
});
