/**
 * A hostile player for e2e tests: a real member's browser page whose WebSocket and data channels are
 * reachable from the test, so the test can send what a modified client would (forged Yjs updates,
 * presence for others, forged signaling) through the real transports. Honest pages never load this.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { SYNC_CHUNK_BYTES, SyncTag } from '../../src/lib/protocol/sync-wire';

/** Init script: records the relay socket, everything the relay sent, and every reliable channel. */
export const hostileInitScript = `(() => {
  const hostile = { sockets: [], relay: [], channels: [], received: [], sent: [] };
  window.__hostile = hostile;
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      hostile.sockets.push(this);
      this.addEventListener('message', (event) => {
        try { hostile.relay.push(JSON.parse(event.data)); } catch {}
      });
    }
  };
  const create = RTCPeerConnection.prototype.createDataChannel;
  RTCPeerConnection.prototype.createDataChannel = function (label, init) {
    const channel = create.call(this, label, init);
    if (label === 'bandmesh-reliable') {
      hostile.channels.push(channel);
      channel.addEventListener('message', (event) => {
        if (event.data instanceof ArrayBuffer) hostile.received.push(Array.from(new Uint8Array(event.data)));
      });
      // What this page's own client sends: forgeries under its own client id must continue its clock.
      const send = channel.send.bind(channel);
      channel.send = (data) => {
        if (ArrayBuffer.isView(data)) hostile.sent.push(Array.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
        else if (data instanceof ArrayBuffer) hostile.sent.push(Array.from(new Uint8Array(data)));
        return send(data);
      };
    }
    return channel;
  };
})();`;

export interface HostileWindow {
  __hostile: {
    sockets: WebSocket[];
    relay: Array<Record<string, unknown>>;
    channels: RTCDataChannel[];
    /** Every message that arrived on a reliable channel. */
    received: number[][];
    /** Every message the page itself sent on a reliable channel. */
    sent: number[][];
  };
}

/**
 * The studio document as the hostile page received it (whole sync messages only), so forged writes can
 * continue a real client's clock exactly where the honest peers have it.
 */
export function documentFrom(received: number[][]): Y.Doc {
  const doc = new Y.Doc();
  for (const message of received) {
    const decoder = decoding.createDecoder(new Uint8Array(message));
    if (decoding.readVarUint(decoder) !== SyncTag.Doc) continue;
    const type = decoding.readVarUint(decoder);
    if (type === syncProtocol.messageYjsSyncStep2 || type === syncProtocol.messageYjsUpdate) {
      Y.applyUpdate(doc, decoding.readVarUint8Array(decoder));
    }
  }
  return doc;
}

/** A y-protocols update message with writes made under `client`, as a modified client can make them. */
export function forgedUpdate(
  known: Y.Doc,
  client: number,
  map: 'mixes' | 'channels' | 'metronome' | 'backingTrack',
  entries: Record<string, unknown>,
): number[] {
  const forger = new Y.Doc();
  Y.applyUpdate(forger, Y.encodeStateAsUpdate(known));
  forger.clientID = client;
  const before = Y.encodeStateVector(forger);
  forger.transact(() => {
    for (const [key, value] of Object.entries(entries)) forger.getMap(map).set(key, value);
  });
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, SyncTag.Doc);
  syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(forger, before));
  return [...encoding.toUint8Array(encoder)];
}

/**
 * The pieces of a message of `bytes` zero bytes in the chunked wire format, as headers only (tag, id,
 * index, count, payload length): the page appends `SYNC_CHUNK_BYTES` zeros to each, so the test does
 * not ship 10 MB through page.evaluate.
 */
export function hugeMessageHeaders(bytes: number): { headers: number[][]; payload: number } {
  const count = Math.ceil(bytes / SYNC_CHUNK_BYTES);
  const headers: number[][] = [];
  for (let index = 0; index < count; index++) {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, SyncTag.Chunk);
    encoding.writeVarUint(encoder, 4242);
    encoding.writeVarUint(encoder, index);
    encoding.writeVarUint(encoder, count);
    encoding.writeVarUint(encoder, SYNC_CHUNK_BYTES);
    headers.push([...encoding.toUint8Array(encoder)]);
  }
  return { headers, payload: SYNC_CHUNK_BYTES };
}

/** Awareness (presence) for `client` claiming whatever `state` says. */
export function forgedPresence(client: number, state: unknown): number[] {
  const inner = encoding.createEncoder();
  encoding.writeVarUint(inner, 1);
  encoding.writeVarUint(inner, client);
  encoding.writeVarUint(inner, 1_000);
  encoding.writeVarString(inner, JSON.stringify(state));
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, SyncTag.Awareness);
  encoding.writeVarUint8Array(encoder, encoding.toUint8Array(inner));
  return [...encoding.toUint8Array(encoder)];
}
