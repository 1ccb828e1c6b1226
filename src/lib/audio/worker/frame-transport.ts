/**
 * The channel-like thing a Worker transport sends on: a transferred RTCDataChannel, or the main-thread
 * relay when the browser could not transfer it (the main thread sends for us and posts what arrives).
 */
export interface FrameTransport {
  send(bytes: Uint8Array): void;
  /** Bytes queued and not yet sent; frames are skipped above a threshold rather than queued late. */
  readonly bufferedAmount: number;
  readonly open: boolean;
  close(): void;
}

/** Skip a frame rather than queue it behind this much (33 stereo PCM frames of 2.5 ms; far more Opus). */
export const MAX_BUFFERED_BYTES = 16 * 1024;

export function channelTransport(channel: RTCDataChannel): FrameTransport {
  return {
    get open() {
      return channel.readyState === 'open';
    },
    get bufferedAmount() {
      return channel.bufferedAmount;
    },
    send: (bytes) => channel.send(bytes as Uint8Array<ArrayBuffer>),
    close: () => {
      channel.onmessage = null;
      channel.close();
    },
  };
}

/** Fallback transport when the channel could not be moved to the Worker: `post` hands bytes to the main thread. */
export function relayedTransport(post: (bytes: ArrayBuffer) => void): FrameTransport {
  let open = true;
  return {
    get open() {
      return open;
    },
    bufferedAmount: 0,
    send: (bytes) => post(bytes.slice().buffer),
    close: () => {
      open = false;
    },
  };
}
