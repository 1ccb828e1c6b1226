/* global BadRequestError, ValidationError -- provided by PocketBase's JS runtime (goja) */
// Request-level checks on users that field options cannot express.

const MAX_INSTRUMENTS = 20;
const MAX_INSTRUMENT_LENGTH = 40;

/**
 * Emails are never shown to other users, so emailVisibility stays false (superusers excepted), and
 * instruments must be a short list of short strings.
 */
function guardUserRequest(e) {
  if (!e.hasSuperuserAuth() && e.record.getBool('emailVisibility')) {
    throw new BadRequestError('Email addresses always stay private on Bandmesh.', {
      emailVisibility: new ValidationError(
        'email_visibility_locked',
        'Your email address is never shown to other people, so this cannot be turned on.',
      ),
    });
  }

  const problem = instrumentsProblem(e.record.getString('instruments'));
  if (problem) {
    throw new BadRequestError('Please check your instruments.', {
      instruments: new ValidationError('invalid_instruments', problem),
    });
  }
  e.next();
}

/** Returns a sentence describing what is wrong with the raw JSON, or '' when it is fine. */
function instrumentsProblem(raw) {
  if (!raw || raw === 'null') {
    return '';
  }
  let value;
  try {
    value = JSON.parse(raw);
  } catch {
    return 'Instruments must be a list of names.';
  }
  if (!Array.isArray(value)) {
    return 'Instruments must be a list of names, like ["guitar", "vocals"].';
  }
  if (value.length > MAX_INSTRUMENTS) {
    return `List at most ${MAX_INSTRUMENTS} instruments.`;
  }
  for (const item of value) {
    if (typeof item !== 'string' || item.trim() === '' || item.length > MAX_INSTRUMENT_LENGTH) {
      return `Each instrument must be a name of 1 to ${MAX_INSTRUMENT_LENGTH} characters.`;
    }
  }
  return '';
}

module.exports = { guardUserRequest, instrumentsProblem };
