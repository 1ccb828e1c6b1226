/**
 * The baseline of `bench:relay`: two node-datachannel peers in this process connected to each other
 * directly over loopback, each sending the same frames on the same schedule as the SFU players on a
 * channel configured like the SFU's (pre-negotiated id 0, unordered, no retransmits). Its latency
 * is what the SFU path is compared with: same process, same clock, same load, minus the relay.
 */
import nodeDataChannel from 'node-datachannel';
import { FrameWriter, nowUs } from './relay-frames.mjs';
import { ReceiveStats } from './relay-receive-stats.mjs';

class DirectPeer {
  constructor(name, index, histogram) {
    this.index = index;
    // Negotiation by hand: with a pre-negotiated channel on both sides, both would offer at once.
    this.pc = new nodeDataChannel.PeerConnection(name, { iceServers: [], disableAutoNegotiation: true });
    this.channel = this.pc.createDataChannel('bench-direct', {
      negotiated: true,
      id: 0,
      unordered: true,
      maxRetransmits: 0,
    });
    this.writer = new FrameWriter(index);
    this.stats = new ReceiveStats(histogram);
    this.sendFailures = 0;
    this.channel.onMessage((msg) => {
      const arrivalUs = nowUs();
      if (typeof msg === 'string') return;
      const bytes = Buffer.isBuffer(msg) ? msg : Buffer.from(msg);
      this.stats.countMessage(bytes.length, arrivalUs);
      this.stats.onFrame(bytes, 0, bytes.length, -1, arrivalUs);
    });
  }

  sendFrame() {
    if (!this.channel.isOpen()) return 0;
    const frame = this.writer.next(nowUs());
    try {
      if (this.channel.sendMessageBinary(frame)) return frame.length;
    } catch {
      // closed under us
    }
    this.sendFailures++;
    return 0;
  }

  transportBytes() {
    try {
      return { sent: this.pc.bytesSent(), received: this.pc.bytesReceived() };
    } catch {
      return { sent: 0, received: 0 };
    }
  }

  dispose() {
    try {
      this.channel.close();
    } catch {
      // already closed
    }
    try {
      this.pc.close();
    } catch {
      // already closed
    }
  }
}

export class DirectPair {
  /** @param {number} firstIndex the bench sender index of the first peer; the second is +1 */
  constructor(firstIndex, histogram) {
    this.a = new DirectPeer(`direct-${firstIndex}`, firstIndex, histogram);
    this.b = new DirectPeer(`direct-${firstIndex + 1}`, firstIndex + 1, histogram);
    this.disposed = false;
  }

  get peers() {
    return [this.a, this.b];
  }

  /** Exchanges descriptions and candidates in-process; resolves when both channels are open. */
  connect(timeoutMs) {
    const { a, b } = this;
    return new Promise((resolve, reject) => {
      let open = 0;
      const timer = setTimeout(
        () => reject(new Error(`direct pair ${a.index}: channels not open after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const opened = () => {
        if (++open === 2) {
          clearTimeout(timer);
          resolve();
        }
      };
      a.channel.onOpen(opened);
      b.channel.onOpen(opened);
      a.pc.onLocalDescription((sdp, type) => {
        b.pc.setRemoteDescription(sdp, type);
        b.pc.setLocalDescription('answer');
      });
      b.pc.onLocalDescription((sdp, type) => a.pc.setRemoteDescription(sdp, type));
      a.pc.onLocalCandidate((candidate, mid) => b.pc.addRemoteCandidate(candidate, mid));
      b.pc.onLocalCandidate((candidate, mid) => a.pc.addRemoteCandidate(candidate, mid));
      a.pc.setLocalDescription('offer');
    });
  }

  dispose() {
    if (this.disposed) return;
    this.disposed = true;
    this.a.dispose();
    this.b.dispose();
  }
}
