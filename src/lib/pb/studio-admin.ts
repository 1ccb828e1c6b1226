/**
 * What the settings and members pages do to a studio: the owner's edits and deletion, the member
 * list, role changes, removals and leaving. The server's rules decide who may (docs/pocketbase.md);
 * these calls only shape requests and answers.
 */
import type { TypedPocketBase } from './client';
import type { MembershipsRoleOptions, StudiosRecord, StudiosVisibilityOptions, UsersRecord } from './types';

export interface StudioSettings {
  name: string;
  description: string;
  visibility: StudiosVisibilityOptions;
  maxPlayers: number;
  /** Directory fields: '' is no genre (the server checks the value); the studio's instruments. */
  genre: string;
  instruments: string[];
}

export interface Member {
  /** The membership's id (what role changes and removals act on). */
  id: string;
  userId: string;
  name: string;
  instruments: string[];
  role: MembershipsRoleOptions;
}

const ROLE_ORDER: Record<MembershipsRoleOptions, number> = { owner: 0, engineer: 1, member: 2 };

export function createStudioAdmin(pb: TypedPocketBase) {
  return {
    get: (studioId: string): Promise<StudiosRecord> =>
      pb.collection('studios').getOne(studioId, { requestKey: null }),
    update: (studioId: string, settings: StudioSettings): Promise<StudiosRecord> =>
      pb.collection('studios').update(studioId, settings, { requestKey: null }),
    remove: (studioId: string): Promise<boolean> => pb.collection('studios').delete(studioId),
    /** Owner first, then engineers, then members; by name within a role. */
    async members(studioId: string): Promise<Member[]> {
      const rows = await pb.collection('memberships').getFullList<{
        id: string;
        user: string;
        role: MembershipsRoleOptions;
        expand?: { user?: UsersRecord };
      }>({ filter: pb.filter('studio = {:studio}', { studio: studioId }), expand: 'user', requestKey: null });
      return rows
        .map((row) => ({
          id: row.id,
          userId: row.user,
          name: row.expand?.user?.name ?? 'Unknown player',
          instruments: row.expand?.user?.instruments ?? [],
          role: row.role,
        }))
        .sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || a.name.localeCompare(b.name));
    },
    setRole: (membershipId: string, role: 'engineer' | 'member') =>
      pb.collection('memberships').update(membershipId, { role }, { requestKey: null }),
    /** Removes a member (the owner) or leaves (one's own membership). */
    removeMember: (membershipId: string): Promise<boolean> =>
      pb.collection('memberships').delete(membershipId, { requestKey: null }),
  };
}

export type StudioAdmin = ReturnType<typeof createStudioAdmin>;
