/**
 * WebSocket close codes the relay sends, beyond the standard ones in the signaling contract. The
 * 4xxx codes (the application range of RFC 6455) mark "the relay removed you on purpose": a client
 * should not reconnect automatically after them. The `error` sent just before the close says why in
 * words; the code lets a client that missed it still tell the cases apart.
 */
import { ErrorCode } from '../../../src/lib/protocol/errors.js';
import { SignalingClose } from '../../../src/lib/protocol/signaling.js';
import type { EvictionCode } from './room.js';

export const RelayClose = {
  ...SignalingClose,
  /** Over a connection cap: retry later (RFC 6455 "Try Again Later"). */
  TryAgainLater: 1013,
  /** The same ticket opened a newer connection. */
  TicketReplaced: 4001,
  /**
   * The page resumed its seat on a newer connection (signaling v2 resume): this one is obsolete.
   * The only 4xxx close without an `error` before it; the page is already elsewhere.
   */
  Resumed: 4002,
  /** The user is no longer a member of the studio. */
  MembershipRevoked: 4003,
  /** The studio was deleted. */
  StudioDeleted: 4004,
} as const;

export const EVICTION_CLOSE: Record<EvictionCode, number> = {
  [ErrorCode.TicketReplaced]: RelayClose.TicketReplaced,
  [ErrorCode.MembershipRevoked]: RelayClose.MembershipRevoked,
  [ErrorCode.StudioDeleted]: RelayClose.StudioDeleted,
};
