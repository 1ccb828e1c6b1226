/**
 * Turns PocketBase SDK errors into sentences a person understands, plus per-field messages for forms.
 * Each sentence the app knows carries its catalogue key (`errors.*`), so the UI can show it in the
 * reader's language (`LocaleState.error`); a server message the app has no sentence for stays as sent.
 */
import type { ErrorKey, FormError } from '../i18n/form-error';
import { en } from '../i18n/locales/en';

export type { ErrorKey, FormError };

interface PbErrorShape {
  status?: number;
  response?: {
    code?: unknown;
    message?: unknown;
    data?: Record<string, { code?: string; message?: string }>;
  };
}

const FIELD_MESSAGES: Record<string, Record<string, ErrorKey>> = {
  email: {
    validation_not_unique: 'emailTaken',
    validation_is_email: 'emailInvalid',
    validation_invalid_email: 'emailInvalid',
  },
  password: {
    validation_min_text_constraint: 'passwordShort',
    validation_length_out_of_range: 'passwordShort',
  },
  slug: {
    validation_not_unique: 'slugTaken',
    validation_invalid_format: 'slugFormat',
  },
};

/** Stable `code`s of Bandmesh routes that the translated pages show, with the app's own sentence. */
const CODE_MESSAGES: Record<string, ErrorKey> = {
  'email-not-verified': 'emailNotVerified',
  'invalid-invitation': 'invalidInvitation',
  'invitation-not-found': 'invalidInvitation',
  'invitation-expired': 'invitationExpired',
  'invitation-used-up': 'invitationUsedUp',
  'invitation-revoked': 'invitationRevoked',
  'cannot-invite': 'cannotInvite',
  'too-many-invitations': 'tooManyInvitations',
  'wrong-password': 'wrongPassword',
};

/** The server's stable error code (`{code}` of our routes), if any. */
export function errorCode(error: unknown): string | null {
  const code = (error as PbErrorShape | null)?.response?.code;
  return typeof code === 'string' ? code : null;
}

export function errorStatus(error: unknown): number {
  const status = (error as PbErrorShape | null)?.status;
  return typeof status === 'number' ? status : 0;
}

function known(key: ErrorKey, fields: Record<string, string> = {}, fieldKeys = {}): FormError {
  return { message: en.errors[key], fields, keys: { message: key, fields: fieldKeys } };
}

export function describeError(error: unknown, context: 'login' | 'form' = 'form'): FormError {
  const status = errorStatus(error);
  const response = (error as PbErrorShape | null)?.response;
  if (status === 0) return known('unreachable');
  if (context === 'login' && status === 400) return known('wrongLogin');
  if (status === 429) return known('tooManyRequests');
  const fields: Record<string, string> = {};
  const fieldKeys: Record<string, ErrorKey> = {};
  for (const [field, detail] of Object.entries(response?.data ?? {})) {
    if (!detail || typeof detail !== 'object') continue;
    const key = FIELD_MESSAGES[field]?.[detail.code ?? ''];
    if (key) fieldKeys[field] = key;
    fields[field] = key ? en.errors[key] : (detail.message ?? en.errors.invalidValue);
    if (!key && !detail.message) fieldKeys[field] = 'invalidValue';
  }
  if (Object.keys(fields).length > 0) return known('fixFields', fields, fieldKeys);
  const code = errorCode(error);
  if (code && CODE_MESSAGES[code]) return known(CODE_MESSAGES[code]);
  const serverMessage = typeof response?.message === 'string' ? response.message : '';
  if (serverMessage) return { message: serverMessage, fields, keys: { fields: fieldKeys } };
  return known('generic');
}
