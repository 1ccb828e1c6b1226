/**
 * The two data channels every pair of browsers opens on its RTCPeerConnection. Both are pre-negotiated
 * (`negotiated: true`): each side creates them with these fixed SCTP stream ids, so there is no
 * `datachannel` event and no id collision, and the two sides must agree on these values exactly.
 * Changing one is a wire change (docs/protocol.md, the channel table).
 */

/** Ordered and reliable: carries Yjs sync and awareness (`sync-wire.ts`). */
export const RELIABLE_CHANNEL = { label: 'bandmesh-reliable', id: 0 } as const;

/**
 * Unordered, never retransmitted (`ordered: false, maxRetransmits: 0`): carries audio frames
 * (`audio-frame.ts`) and link pings (`link-ping.ts`), Worker to Worker.
 */
export const AUDIO_CHANNEL = { label: 'bandmesh-audio', id: 1 } as const;
