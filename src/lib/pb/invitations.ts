/**
 * Invitation links (docs/pocketbase.md#invitations): minting one (its token is shown once), listing
 * and revoking a studio's open links, and a holder's preview and acceptance.
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
}

/** The link a person opens to accept. */
export function invitationUrl(origin: string, token: string): string {
  return `${origin}/invite?token=${encodeURIComponent(token)}`;
}

export function createInvitations(pb: TypedPocketBase) {
  return {
    create: (slug: string, invitation: NewInvitation): Promise<CreatedInvitation> =>
      pb.send(bandmeshRoutes.invitations(slug), { method: 'POST', body: invitation, requestKey: null }),
    /** Links still usable: not revoked, not expired, not used up; newest first. */
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
