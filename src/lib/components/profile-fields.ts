/**
 * The profile form's rules, mirroring what the server enforces (pocketbase/pb_migrations/1795344000
 * and pb_hooks/lib/users.js), and the server's avatar refusals in words. Pure, for unit tests: the
 * sentences are English unless the caller passes the current language's `t`.
 */
import type { TFunction } from 'i18next';

export const PROFILE_LIMITS = {
  instruments: 20,
  instrumentLength: 40,
  textLength: 80,
  avatarBytes: 2 * 1024 * 1024,
  avatarTypes: ['image/jpeg', 'image/png', 'image/webp', 'image/gif'],
} as const;

export type SkillLevel = 'beginner' | 'intermediate' | 'advanced' | 'professional';

export const SKILL_LEVELS: { value: SkillLevel; label: string }[] = [
  { value: 'beginner', label: 'Beginner' },
  { value: 'intermediate', label: 'Intermediate' },
  { value: 'advanced', label: 'Advanced' },
  { value: 'professional', label: 'Professional' },
];

export interface ProfileValues {
  name: string;
  instruments: string[] | null;
  city: string;
  country: string;
  skill: SkillLevel | '';
}

export interface ProfileFormInput extends ProfileValues {
  instruments: string[];
  /** A new avatar to upload; null keeps the current one. */
  avatar: File | null;
  removeAvatar: boolean;
}

export type ProfileSaveResult =
  | { ok: true }
  | { ok: false; error: { message: string; fields: Record<string, string> }; avatarCode: string | null };

/** Binary megabytes (the unit the server's limit is set in): whole from 10 up, else one decimal. */
function megabytes(bytes: number): number {
  const mb = bytes / (1024 * 1024);
  return mb >= 10 || Number.isInteger(mb) ? Math.round(mb) : Math.round(mb * 10) / 10;
}

/** "5.2 MB". */
export function formatMegabytes(bytes: number): string {
  return `${megabytes(bytes)} MB`;
}

/** Adds an instrument unless it is blank, a duplicate (ignoring case) or over a limit; says why not. */
export function addInstrument(
  list: readonly string[],
  raw: string,
  t?: TFunction,
): { list: string[]; problem: string } {
  const name = raw.trim();
  if (!name) return { list: [...list], problem: '' };
  if (name.length > PROFILE_LIMITS.instrumentLength) {
    return {
      list: [...list],
      problem: t
        ? t('profile.instrumentTooLong', { max: PROFILE_LIMITS.instrumentLength })
        : `Keep each instrument to ${PROFILE_LIMITS.instrumentLength} characters or fewer.`,
    };
  }
  if (list.some((item) => item.toLowerCase() === name.toLowerCase())) return { list: [...list], problem: '' };
  if (list.length >= PROFILE_LIMITS.instruments) {
    const problem = t
      ? t('profile.tooManyInstruments', { max: PROFILE_LIMITS.instruments })
      : `List at most ${PROFILE_LIMITS.instruments} instruments.`;
    return { list: [...list], problem };
  }
  return { list: [...list, name], problem: '' };
}

/**
 * The server's reason for refusing an avatar (its validation code), in words. PocketBase judges the
 * file by its content, so a script renamed `.png` is refused like any other non-image.
 */
export function avatarMessage(code: string, file: File | null, t?: TFunction): string {
  if (code === 'validation_file_size_limit') {
    const limit = formatMegabytes(PROFILE_LIMITS.avatarBytes);
    if (t) {
      // The language's own unit and decimal mark ("5,2 Mo").
      const local = (bytes: number) => t('profile.megabytes', { n: megabytes(bytes) });
      const max = local(PROFILE_LIMITS.avatarBytes);
      return file
        ? t('profile.avatarTooBig', { size: local(file.size), limit: max })
        : t('profile.avatarLimit', { limit: max });
    }
    return file
      ? `That file is ${formatMegabytes(file.size)}; the limit is ${limit}.`
      : `The limit is ${limit}.`;
  }
  if (code === 'validation_invalid_mime_type')
    return t ? t('profile.avatarType') : 'Only JPEG, PNG, WebP or GIF.';
  return t ? t('profile.avatarUnusable') : 'This picture could not be used. Try another one.';
}
