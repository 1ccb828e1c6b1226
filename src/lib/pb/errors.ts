/**
 * Turns PocketBase SDK errors into sentences a person understands, plus per-field messages for forms.
 */
export interface FormError {
  message: string;
  fields: Record<string, string>;
}

interface PbErrorShape {
  status?: number;
  response?: {
    code?: unknown;
    message?: unknown;
    data?: Record<string, { code?: string; message?: string }>;
  };
}

const FIELD_MESSAGES: Record<string, Record<string, string>> = {
  email: {
    validation_not_unique: 'An account with this email already exists. Log in instead?',
    validation_is_email: 'That does not look like an email address.',
    validation_invalid_email: 'That does not look like an email address.',
  },
  password: {
    validation_min_text_constraint: 'Use a longer password: at least 10 characters.',
    validation_length_out_of_range: 'Use a longer password: at least 10 characters.',
  },
  slug: {
    validation_not_unique: 'That address is taken by another studio. Try another one.',
    validation_invalid_format:
      'Use 3–40 lowercase letters, digits and dashes, starting and ending with a letter or digit.',
  },
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

export function describeError(error: unknown, context: 'login' | 'form' = 'form'): FormError {
  const status = errorStatus(error);
  const response = (error as PbErrorShape | null)?.response;
  if (status === 0) {
    return { message: 'Cannot reach the server. Check your connection and try again.', fields: {} };
  }
  if (context === 'login' && status === 400) {
    return { message: 'Wrong email or password.', fields: {} };
  }
  const fields: Record<string, string> = {};
  for (const [field, detail] of Object.entries(response?.data ?? {})) {
    if (!detail || typeof detail !== 'object') continue;
    fields[field] =
      FIELD_MESSAGES[field]?.[detail.code ?? ''] ?? detail.message ?? 'This value is not valid.';
  }
  const serverMessage = typeof response?.message === 'string' ? response.message : '';
  const message =
    Object.keys(fields).length > 0
      ? 'Please fix the highlighted fields.'
      : serverMessage || 'Something went wrong. Please try again.';
  return { message, fields };
}
