/**
 * Bandmesh's own PocketBase routes (pocketbase/internal/studioapi): request paths, response shapes
 * and error codes. The ticket response is the protocol's {@link TicketResponse}.
 */
import type { TicketResponse } from '../protocol/ticket';
import type { MembershipsRoleOptions, StudiosVisibilityOptions } from './types';

export type { TicketResponse };

/** `GET /api/bandmesh/studios/{slug}/preview`: what a link holder may see before joining. */
export interface StudioPreview {
  id: string;
  name: string;
  slug: string;
  visibility: StudiosVisibilityOptions;
  description: string;
  isMember: boolean;
  role: MembershipsRoleOptions | null;
  memberCount: number;
}

/** `POST /api/bandmesh/studios/{slug}/join`: the preview after joining. */
export interface JoinStudioResponse extends StudioPreview {
  /** False when the user already was a member (joining is idempotent). */
  joined: boolean;
}

export const BandmeshErrorCode = {
  Unauthorized: 'unauthorized',
  NotFound: 'not-found',
  NotMember: 'not-member',
  /** No relay answered when the ticket was to be placed (503); the message says to retry. */
  NoRelay: 'no-relay',
  Internal: 'internal',
  /** Invitation links (internal/studioapi/invitations.go). */
  InvalidInvitation: 'invalid-invitation',
  InvitationNotFound: 'invitation-not-found',
  InvitationExpired: 'invitation-expired',
  InvitationUsedUp: 'invitation-used-up',
  InvitationRevoked: 'invitation-revoked',
  CannotInvite: 'cannot-invite',
  TooManyInvitations: 'too-many-invitations',
  /** Invitations by email (internal/studioapi/email_invitations.go). */
  InvalidEmail: 'invalid-email',
  MailUnavailable: 'mail-unavailable',
  MailFailed: 'mail-failed',
  InvitationOtherEmail: 'invitation-other-email',
  InvitationUnverified: 'invitation-unverified',
} as const;
export type BandmeshErrorCode = (typeof BandmeshErrorCode)[keyof typeof BandmeshErrorCode];

/** Error body of every /api/bandmesh route; `message` is a sentence for people. */
export interface BandmeshApiError {
  code: BandmeshErrorCode;
  message: string;
}

export function isBandmeshApiError(value: unknown): value is BandmeshApiError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.message === 'string';
}

export const bandmeshRoutes = {
  ticket: (slug: string) => `/api/bandmesh/studios/${encodeURIComponent(slug)}/ticket`,
  preview: (slug: string) => `/api/bandmesh/studios/${encodeURIComponent(slug)}/preview`,
  join: (slug: string) => `/api/bandmesh/studios/${encodeURIComponent(slug)}/join`,
  invitations: (slug: string) => `/api/bandmesh/studios/${encodeURIComponent(slug)}/invitations`,
  emailInvitations: (slug: string) => `/api/bandmesh/studios/${encodeURIComponent(slug)}/email-invitations`,
  invitationPreview: '/api/bandmesh/invitations/preview',
  invitationAccept: '/api/bandmesh/invitations/accept',
  invitationRevoke: (id: string) => `/api/bandmesh/invitations/${encodeURIComponent(id)}/revoke`,
} as const;
