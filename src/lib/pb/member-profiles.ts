/**
 * The pictures and instruments of the players in a room, from their profiles. The users list rule
 * returns only people who share a studio with us, so a player's profile is readable exactly while
 * they are a member; anyone else is simply missing from the answer.
 */
import type { TypedPocketBase } from './client';

export interface MemberProfile {
  /** The 64x64 thumbnail of their picture, or '' without one. */
  avatarUrl: string;
  instruments: string[];
}

/** At most this many ids per request, so the filter stays well within PocketBase's limits. */
const BATCH = 40;
const ID = /^[a-z0-9]{15}$/;

export async function fetchMemberProfiles(
  pb: TypedPocketBase,
  userIds: readonly string[],
): Promise<Map<string, MemberProfile>> {
  const ids = [...new Set(userIds)].filter((id) => ID.test(id));
  const profiles = new Map<string, MemberProfile>();
  for (let i = 0; i < ids.length; i += BATCH) {
    const filter = ids
      .slice(i, i + BATCH)
      .map((id) => `id = "${id}"`)
      .join(' || ');
    const records = await pb.collection('users').getFullList({
      filter,
      fields: 'id,collectionId,collectionName,avatar,instruments',
      requestKey: null,
    });
    for (const r of records) {
      profiles.set(r.id, {
        avatarUrl: r.avatar ? pb.files.getURL(r, r.avatar, { thumb: '64x64' }) : '',
        instruments: Array.isArray(r.instruments) ? r.instruments.map(String) : [],
      });
    }
  }
  return profiles;
}
