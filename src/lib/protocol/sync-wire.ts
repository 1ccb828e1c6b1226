/**
 * The reliable channel between two peers (RTCDataChannel id 0, ordered, reliable): one message per
 * send, a varuint tag, then the tag's payload.
 * - `Doc`: y-protocols sync (step 1, step 2, update) for the studio's Y.Doc.
 * - `Awareness`: a y-protocols awareness update carrying only the sender's own state.
 * - `Chunk`: one piece of a larger message: varuint message id, varuint index, varuint count, then
 *   varUint8Array bytes. Pieces arrive in order (the channel is ordered); the receiver joins `count`
 *   pieces and handles the result as if it had arrived whole. A message is cut into pieces when it is
 *   larger than `SYNC_CHUNK_BYTES`, so no send ever exceeds a data channel's message size limit.
 */
export const SyncTag = { Doc: 0, Awareness: 1, Chunk: 2 } as const;
export type SyncTag = (typeof SyncTag)[keyof typeof SyncTag];

/** Largest piece sent in one data-channel message (well under every browser's SCTP message limit). */
export const SYNC_CHUNK_BYTES = 16 * 1024;
/** Largest message a peer reassembles (a whole-document sync); larger ones are refused and reported. */
export const SYNC_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Largest incremental Yjs update accepted (a mixer change is tens of bytes). */
export const SYNC_MAX_UPDATE_BYTES = 64 * 1024;
/** Largest awareness update accepted (one player's presence). */
export const SYNC_MAX_AWARENESS_BYTES = 4 * 1024;
/**
 * Bytes of incremental updates one link may deliver per minute (a token bucket with this burst).
 * Riding a fader writes a few kB per second; a peer flooding its own entries is slowed to this rate
 * instead of growing every player's copy of the document as fast as the channel allows.
 */
export const SYNC_UPDATE_BYTES_PER_MINUTE = 1024 * 1024;
