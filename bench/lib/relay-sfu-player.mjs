/**
 * One synthetic player of `bench:relay` on the relay's SFU, as a browser would be: it subscribes on
 * the real signaling socket with a room ticket, waits for `room-route` to put the room on the SFU,
 * offers its PeerConnection to the relay over `sfu-signal` (the player offers) with the one
 * pre-negotiated channel (SFU_CHANNEL: id 0, unordered, no retransmits), then sends sealed-frame
 * shaped frames upstream (driven by the worker's scheduler) and reads the relay's bundles.
 */
import nodeDataChannel from 'node-datachannel';
import WebSocket from 'ws';
import { FrameWriter, forEachBundled, nowUs } from './relay-frames.mjs';
import { ReceiveStats } from './relay-receive-stats.mjs';

const SFU_CHANNEL = { label: 'bandmesh-sfu', id: 0 };
/** New PeerConnections a player tries after the relay says its SFU connection failed. */
const MAX_RETRIES = 3;

export class SfuPlayer {
  /**
   * @param {{ wsUrl: string, topic: string, ticket: string, clientId: number, index: number,
   *   histogram: import('./relay-frames.mjs').LatencyHistogram }} options
   */
  constructor({ wsUrl, topic, ticket, clientId, index, histogram }) {
    this.wsUrl = wsUrl;
    this.topic = topic;
    this.ticket = ticket;
    this.clientId = clientId;
    this.index = index;
    this.writer = new FrameWriter(index);
    this.stats = new ReceiveStats(histogram);
    this.peerId = null;
    this.sourceIndex = null;
    this.mode = null;
    /** @type {WebSocket | null} */
    this.ws = null;
    /** @type {import('node-datachannel').PeerConnection | null} */
    this.pc = null;
    /** @type {import('node-datachannel').DataChannel | null} */
    this.channel = null;
    this.sendFailures = 0;
    this.hasRemoteDescription = false;
    /** @type {[string, string][]} */
    this.pendingCandidates = [];
    this.badCandidates = 0;
    this.retries = 0;
    /** Why the relay refused earlier attempts (the first two). */
    this.retryReasons = [];
    /** Connection state changes, for the error message of a player that could not connect. */
    this.history = [];
    this.disposed = false;
  }

  /** Subscribes and connects to the SFU; resolves when the channel is open. */
  join(timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`player ${this.index}: no open SFU channel after ${timeoutMs} ms (${this.#where()})`),
          ),
        timeoutMs,
      );
      const done = (error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      const ws = new WebSocket(this.wsUrl);
      this.ws = ws;
      ws.on('error', (error) => done(new Error(`player ${this.index}: signaling socket: ${error.message}`)));
      ws.on('close', (code, reason) => {
        if (!this.disposed) done(new Error(`player ${this.index}: signaling closed ${code} ${reason}`));
      });
      ws.on('open', () =>
        this.#send({ type: 'subscribe', topics: [this.topic], ticket: this.ticket, client: this.clientId }),
      );
      ws.on('message', (data, isBinary) => {
        if (isBinary || this.disposed) return;
        let message;
        try {
          message = JSON.parse(String(data));
        } catch {
          return;
        }
        try {
          this.#onSignal(message, done);
        } catch (error) {
          done(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
  }

  #where() {
    return `peer ${this.peerId ?? '-'}, mode ${this.mode ?? '-'}, pc ${this.pc?.state() ?? '-'}, channel ${
      this.channel?.isOpen() ? 'open' : 'closed'
    }`;
  }

  #send(message) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  #onSignal(message, done) {
    switch (message.type) {
      case 'subscribed':
        this.peerId = message.self?.peerId ?? null;
        return;
      case 'error': {
        const why = `relay error ${message.code}: ${message.message} (${this.#where()}; ${this.history.join(' ')})`;
        // As the app's SfuLink does: a connection to the SFU that failed before opening is retried
        // from a new PeerConnection. Counted, and the first reason kept for the results.
        if (
          message.code === 'sfu-unavailable' &&
          this.pc &&
          !this.channel?.isOpen() &&
          this.retries < MAX_RETRIES
        ) {
          this.retries++;
          if (this.retryReasons.length < 2) this.retryReasons.push(why);
          this.#closePeer();
          setTimeout(() => {
            if (!this.disposed) this.#connect(done);
          }, 200 * this.retries);
          return;
        }
        done(new Error(`player ${this.index}: ${why}`));
        return;
      }
      case 'room-route': {
        this.mode = message.mode;
        const own = message.sources?.find((s) => s.peerId === this.peerId);
        if (own) this.sourceIndex = own.index;
        if (message.mode === 'sfu' && !this.pc) this.#connect(done);
        return;
      }
      case 'sfu-signal': {
        const signal = message.signal;
        if (!this.pc || !signal) return;
        this.#note(
          signal.kind === 'description'
            ? `rx-${signal.description?.type}`
            : `rx-candidate(${String(signal.candidate?.candidate ?? '')
                .split(' ')
                .slice(4, 8)
                .join(' ')})`,
        );
        if (signal.kind === 'description' && signal.description?.sdp) {
          this.pc.setRemoteDescription(signal.description.sdp, signal.description.type);
          this.hasRemoteDescription = true;
          for (const [candidate, mid] of this.pendingCandidates.splice(0)) this.#addCandidate(candidate, mid);
        } else if (signal.kind === 'candidate' && signal.candidate?.candidate) {
          const entry = [signal.candidate.candidate, signal.candidate.sdpMid ?? '0'];
          // libdatachannel refuses candidates before the answer; a browser queues them too.
          if (this.hasRemoteDescription) this.#addCandidate(...entry);
          else if (this.pendingCandidates.length < 64) this.pendingCandidates.push(entry);
        }
        return;
      }
      default:
        return;
    }
  }

  #note(text) {
    this.t0 ??= Date.now();
    if (this.history.length < 40) this.history.push(`${text}@${Date.now() - this.t0}ms`);
  }

  #addCandidate(candidate, mid) {
    try {
      this.pc?.addRemoteCandidate(candidate, mid);
    } catch {
      // A candidate the library cannot use (e.g. another address family): ICE goes on without it.
      this.badCandidates++;
    }
  }

  /** Closes the current connection attempt; its late callbacks are ignored (they check `this.pc`). */
  #closePeer() {
    const { pc, channel } = this;
    this.pc = null;
    this.channel = null;
    this.hasRemoteDescription = false;
    this.pendingCandidates = [];
    this.history = [];
    this.t0 = undefined;
    try {
      channel?.close();
      pc?.close();
    } catch {
      // already closed
    }
  }

  #connect(done) {
    const pc = new nodeDataChannel.PeerConnection(`sfu-player-${this.index}`, { iceServers: [] });
    this.pc = pc;
    const note = (what) => (state) => {
      if (this.pc === pc) this.#note(`${what}=${state}`);
    };
    pc.onStateChange(note('pc'));
    pc.onIceStateChange(note('ice'));
    pc.onGatheringStateChange(note('gathering'));
    // As a browser does: the offer first, then its candidates (node-datachannel's callbacks come
    // from different threads, unordered; the relay drops candidates for a connection it has not got).
    let offered = false;
    const early = [];
    const sendCandidate = (candidate, mid) => {
      if (this.pc !== pc) return;
      this.#note(`tx-candidate(${candidate.split(' ').slice(4, 8).join(' ')})`);
      this.#send({
        type: 'sfu-signal',
        topic: this.topic,
        signal: { kind: 'candidate', candidate: { candidate, sdpMid: mid, sdpMLineIndex: 0 } },
      });
    };
    pc.onLocalDescription((sdp, type) => {
      if (this.pc !== pc) return;
      this.#note(`tx-${type}`);
      this.#send({
        type: 'sfu-signal',
        topic: this.topic,
        signal: { kind: 'description', description: { type, sdp } },
      });
      offered = true;
      for (const [candidate, mid] of early.splice(0)) sendCandidate(candidate, mid);
    });
    pc.onLocalCandidate((candidate, mid) => {
      // The attribute's value, as a browser sends it: without libdatachannel's "a=".
      const text = candidate.replace(/^a=/, '');
      if (offered) sendCandidate(text, mid);
      else if (early.length < 64) early.push([text, mid]);
    });
    const channel = pc.createDataChannel(SFU_CHANNEL.label, {
      negotiated: true,
      id: SFU_CHANNEL.id,
      unordered: true,
      maxRetransmits: 0,
    });
    this.channel = channel;
    channel.onOpen(() => {
      if (this.pc === pc) done();
    });
    channel.onMessage((msg) => this.#onMessage(msg));
  }

  #onMessage(msg) {
    const arrivalUs = nowUs();
    if (typeof msg === 'string') return;
    const bytes = Buffer.isBuffer(msg) ? msg : Buffer.from(msg);
    const stats = this.stats;
    const inWindow = arrivalUs >= stats.startUs && arrivalUs < stats.endUs;
    stats.countMessage(bytes.length, arrivalUs);
    const count = forEachBundled(bytes, (source, at, length) =>
      stats.onFrame(bytes, at, length, source, arrivalUs),
    );
    if (count < 0) stats.malformedBundles++;
    else if (inWindow) {
      stats.bundles++;
      stats.bundledFrames += count;
    }
  }

  /** Sends the next frame stamped now; returns its size (0 when it could not go). */
  sendFrame() {
    const channel = this.channel;
    if (!channel || !channel.isOpen()) return 0;
    const frame = this.writer.next(nowUs());
    try {
      if (channel.sendMessageBinary(frame)) return frame.length;
    } catch {
      // closed under us
    }
    this.sendFailures++;
    return 0;
  }

  /** Transport bytes so far (libdatachannel's counters for the whole connection). */
  transportBytes() {
    try {
      return { sent: this.pc?.bytesSent() ?? 0, received: this.pc?.bytesReceived() ?? 0 };
    } catch {
      return { sent: 0, received: 0 };
    }
  }

  dispose() {
    if (this.disposed) return;
    this.disposed = true;
    try {
      this.channel?.close();
    } catch {
      // already closed
    }
    try {
      this.pc?.close();
    } catch {
      // already closed
    }
    try {
      this.ws?.terminate();
    } catch {
      // already closed
    }
  }
}
