/**
 * Stable error codes shared by the relay, PocketBase's API and the app. A code never changes meaning;
 * the UI maps codes to sentences a person understands (see `describeError` in the app).
 */
export const ErrorCode = {
  /** The message was not JSON, or not an object with a known `type`. */
  Malformed: 'malformed',
  /** A frame exceeded the relay's size limit. */
  TooLarge: 'too-large',
  /** The client sent more messages per second than the relay allows. */
  RateLimited: 'rate-limited',
  /** No ticket was presented for a topic that needs one. */
  TicketMissing: 'ticket-missing',
  /** The ticket's signature or shape is wrong. */
  TicketInvalid: 'ticket-invalid',
  /** The ticket's expiry has passed. */
  TicketExpired: 'ticket-expired',
  /** The ticket is valid but for another studio than the topic asked for. */
  TicketWrongStudio: 'ticket-wrong-studio',
  /** Publishing to a topic the connection has not subscribed to. */
  NotSubscribed: 'not-subscribed',
  /** The connection holds too many topics. */
  TooManyTopics: 'too-many-topics',
  /** The peer speaks a protocol version this side does not understand. */
  IncompatibleVersion: 'incompatible-version',
  /** The room holds as many players as it allows. */
  RoomFull: 'room-full',
  /** The same ticket (same `jti`) opened a newer connection; this one was replaced. */
  TicketReplaced: 'ticket-replaced',
  /** This user already has as many live visits in the studio as the relay allows. */
  TooManyVisits: 'too-many-visits',
  /** The user was removed from the studio (or lost access to it) while in the room. */
  MembershipRevoked: 'membership-revoked',
  /** The studio was deleted while the room was live. */
  StudioDeleted: 'studio-deleted',
  /** The relay holds as many connections as it allows, in total or from this address. */
  TooManyConnections: 'too-many-connections',
  /** The connection did not subscribe to a studio in time after opening. */
  SubscribeTimeout: 'subscribe-timeout',
  /** The Yjs client id is missing, or already used by another visit of the room. */
  ClientIdTaken: 'client-id-taken',
  /** A targeted publish named a peer that is not in the topic. */
  UnknownPeer: 'unknown-peer',
  /** The ticket pins the room to another relay (several relays behind one PocketBase). */
  WrongRelay: 'wrong-relay',
  /** An SFU request could not be served (no SFU on this relay, or the connection to it failed). */
  SfuUnavailable: 'sfu-unavailable',
  /**
   * The studio's owner does not let this participant record ("recording allowed": owner and engineers,
   * or nobody), or a recording in progress was stopped because the setting changed.
   */
  RecordingNotAllowed: 'recording-not-allowed',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** What the relay says with `recording-not-allowed` (and what the app may show for it). */
export const RECORDING_NOT_ALLOWED_MESSAGE =
  'The studio\'s owner does not allow you to record in this studio; ask the owner to change "Recording allowed".';
