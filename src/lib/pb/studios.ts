/**
 * Studio operations for the app: listing, creating, and the Bandmesh routes (preview, join, ticket),
 * typed by the generated collection types. Errors are the SDK's (see errors.ts to describe them).
 */
import { fetchStudioPreview, fetchStudioTicket, joinStudio, type TypedPocketBase } from './client';
import type { JoinStudioResponse, StudioPreview, TicketResponse } from './api';
import type { MembershipsRoleOptions, StudiosRecord, StudiosVisibilityOptions } from './types';
import { ROOM_MAX_PLAYERS } from '../protocol/ticket';

export type { StudioPreview };

export interface NewStudio {
  name: string;
  slug: string;
  visibility: StudiosVisibilityOptions;
  description: string;
}

/** A studio address from its name: "The Blue Notes!" → "the-blue-notes". */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
}

export function createStudioApi(pb: TypedPocketBase) {
  return {
    async mine(userId: string): Promise<Array<{ studio: StudiosRecord; role: MembershipsRoleOptions }>> {
      const memberships = await pb.collection('memberships').getFullList<{
        role: MembershipsRoleOptions;
        expand?: { studio?: StudiosRecord };
      }>({
        filter: pb.filter('user = {:user}', { user: userId }),
        expand: 'studio',
        sort: '-created',
        requestKey: null,
      });
      return memberships.flatMap((m) =>
        m.expand?.studio ? [{ studio: m.expand.studio, role: m.role }] : [],
      );
    },
    async listPublic(): Promise<StudiosRecord[]> {
      const page = await pb
        .collection('studios')
        .getList(1, 50, { filter: 'visibility = "public"', sort: '-created', requestKey: null });
      return page.items;
    },
    /**
     * A new studio admits a full room (ROOM_MAX_PLAYERS): past the mesh limit its audio goes through
     * the relay's SFU, and PocketBase clamps each ticket to its own room limit anyway.
     */
    create(userId: string, studio: NewStudio): Promise<StudiosRecord> {
      return pb.collection('studios').create({ ...studio, owner: userId, maxPlayers: ROOM_MAX_PLAYERS });
    },
    preview: (slug: string): Promise<StudioPreview> => fetchStudioPreview(pb, slug),
    join: (slug: string): Promise<JoinStudioResponse> => joinStudio(pb, slug),
    ticket: (slug: string): Promise<TicketResponse> => fetchStudioTicket(pb, slug),
  };
}

export type StudioApi = ReturnType<typeof createStudioApi>;
