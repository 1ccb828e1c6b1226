/**
 * Invitations (docs/pocketbase.md#invitations): minting a link (its token is shown once) or mailing
 * invitations to addresses, listing and revoking a studio's open ones, and a holder's preview and
 * acceptance.
 */
import { bandmeshRoutes, type JoinStudioResponse } from './api';
import type { TypedPocketBase } from './client';
import type { InvitationsRecord, InvitationsRoleOptions } from './types';

export interface NewInvitation {
  role: InvitationsRoleOptions;
  maxUses: number;
  expiresInHours: number;
}

export interface CreatedInvitation {
  id: string;
  /** The secret: shown once, never stored in clear by the server. */
  token: string;
  role: InvitationsRoleOptions;
  maxUses: number;
  uses: number;
  expires: string;
}

export interface InvitationPreview {
  studioName: string;
  role: InvitationsRoleOptions;
  invitedBy: string;
  isMember: boolean;
  /** Set when the invitation was mailed: only the verified account with this address may accept. */
  email?: string;
}

export interface EmailInvitationRequest {
  emails: string[];
  role: InvitationsRoleOptions;
}

/** The link a person opens to accept. */
export function invitationUrl(origin: string, token: string): string {
  return `${origin}/invite?token=${encodeURIComponent(token)}`;
}

export function createInvitations(pb: TypedPocketBase) {
  return {
    create: (slug: string, invitation: NewInvitation): Promise<CreatedInvitation> =>
      pb.send(bandmeshRoutes.invitations(slug), { method: 'POST', body: invitation, requestKey: null }),
    /** Mails one single-use invitation to each address (the links travel only in the mails). */
    sendByEmail: (
      slug: string,
      request: EmailInvitationRequest,
    ): Promise<{ invitations: { id: string }[] }> =>
      pb.send(bandmeshRoutes.emailInvitations(slug), { method: 'POST', body: request, requestKey: null }),
    /** Invitations still usable (links and mailed ones): not revoked, not expired, not used up; newest first. */
    async open(studioId: string, now = new Date()): Promise<InvitationsRecord[]> {
      const all = await pb.collection('invitations').getFullList({
        filter: pb.filter('studio = {:studio} && revoked = false && expires > {:now}', {
          studio: studioId,
          now,
        }),
        sort: '-created',
        requestKey: null,
      });
      return all.filter((i) => i.uses < i.maxUses);
    },
    revoke: (id: string): Promise<unknown> =>
      pb.send(bandmeshRoutes.invitationRevoke(id), { method: 'POST', requestKey: null }),
    preview: (token: string): Promise<InvitationPreview> =>
      pb.send(bandmeshRoutes.invitationPreview, { method: 'POST', body: { token }, requestKey: null }),
    accept: (token: string): Promise<JoinStudioResponse> =>
      pb.send(bandmeshRoutes.invitationAccept, { method: 'POST', body: { token }, requestKey: null }),
  };
}

export type Invitations = ReturnType<typeof createInvitations>;
