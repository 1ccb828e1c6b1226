/**
 * Studio operations against PocketBase: listing, creating, previewing, joining through a share link,
 * and fetching room tickets. Thin and typed; errors are the SDK's (see errors.ts to describe them).
 */
import type PocketBase from 'pocketbase';
import type { StudioRole, TicketResponse } from '../protocol/ticket';

export const Visibility = { Private: 'private', Unlisted: 'unlisted', Public: 'public' } as const;
export type Visibility = (typeof Visibility)[keyof typeof Visibility];

export interface Studio {
  id: string;
  name: string;
  slug: string;
  owner: string;
  visibility: Visibility;
  maxPlayers: number;
  description: string;
}

export interface StudioPreview {
  id: string;
  name: string;
  slug: string;
  visibility: Visibility;
  description: string;
  isMember: boolean;
  role: StudioRole | null;
  memberCount: number;
}

export interface NewStudio {
  name: string;
  slug: string;
  visibility: Visibility;
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

export function createStudioApi(pb: PocketBase) {
  const path = (slug: string, action: string) =>
    `/api/bandmesh/studios/${encodeURIComponent(slug)}/${action}`;
  return {
    async mine(userId: string): Promise<Array<{ studio: Studio; role: StudioRole }>> {
      const memberships = await pb.collection('memberships').getFullList<{
        role: StudioRole;
        expand?: { studio?: Studio };
      }>({ filter: pb.filter('user = {:user}', { user: userId }), expand: 'studio', sort: '-created' });
      return memberships.flatMap((m) =>
        m.expand?.studio ? [{ studio: m.expand.studio, role: m.role }] : [],
      );
    },
    async listPublic(): Promise<Studio[]> {
      const page = await pb.collection('studios').getList<Studio>(1, 50, {
        filter: 'visibility = "public"',
        sort: '-created',
      });
      return page.items;
    },
    create(userId: string, studio: NewStudio): Promise<Studio> {
      return pb.collection('studios').create<Studio>({ ...studio, owner: userId, maxPlayers: 6 });
    },
    preview(slug: string): Promise<StudioPreview> {
      return pb.send<StudioPreview>(path(slug, 'preview'), { method: 'GET' });
    },
    join(slug: string): Promise<{ role: StudioRole }> {
      return pb.send<{ role: StudioRole }>(path(slug, 'join'), { method: 'POST' });
    },
    ticket(slug: string): Promise<TicketResponse> {
      return pb.send<TicketResponse>(path(slug, 'ticket'), { method: 'POST' });
    },
  };
}

export type StudioApi = ReturnType<typeof createStudioApi>;
