/**
 * The signed-in user's own profile on the users collection: saving it (fields and avatar in one
 * multipart update) and the avatar's thumbnail URL.
 */
import type { TypedPocketBase } from './client';
import { describeError, type FormError } from './errors';
import type { UsersRecord, UsersSkillOptions } from './types';

export interface ProfileUpdate {
  name: string;
  instruments: string[];
  city: string;
  country: string;
  skill: UsersSkillOptions | '';
  /** A new avatar to upload; null keeps the current one. */
  avatar: File | null;
  removeAvatar: boolean;
}

export type ProfileUpdateResult =
  { ok: true; record: UsersRecord } | { ok: false; error: FormError; avatarCode: string | null };

export async function saveProfile(
  pb: TypedPocketBase,
  userId: string,
  input: ProfileUpdate,
): Promise<ProfileUpdateResult> {
  const body = new FormData();
  body.append('name', input.name.trim());
  body.append('instruments', JSON.stringify(input.instruments));
  body.append('city', input.city.trim());
  body.append('country', input.country.trim());
  body.append('skill', input.skill);
  if (input.avatar) body.append('avatar', input.avatar);
  else if (input.removeAvatar) body.append('avatar', '');
  try {
    // The SDK refreshes authStore.record when the signed-in user updates themselves.
    return { ok: true, record: await pb.collection('users').update(userId, body) };
  } catch (error) {
    const data = (error as { response?: { data?: { avatar?: { code?: unknown } } } }).response?.data;
    const code = data?.avatar?.code;
    return { ok: false, error: describeError(error), avatarCode: typeof code === 'string' ? code : null };
  }
}

/** The URL of the avatar's thumbnail, or '' without one. */
export function avatarThumbUrl(pb: TypedPocketBase, record: UsersRecord, size: '64x64' | '256x256'): string {
  return record.avatar ? pb.files.getURL(record, record.avatar, { thumb: size }) : '';
}
