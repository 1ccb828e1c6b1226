/* global BadRequestError, ValidationError -- provided by PocketBase's JS runtime (goja) */
// The studio's directory instruments (what it plays or is looking for): a short list of short
// names, so a card stays readable and the directory's instrument filter stays cheap.

const MAX_STUDIO_INSTRUMENTS = 12;
const MAX_INSTRUMENT_LENGTH = 40;

/** Refuses a studio create/update whose instruments are not a short list of short names. */
function guardStudioInstruments(e) {
  const problem = studioInstrumentsProblem(e.record.getString('instruments'));
  if (problem) {
    throw new BadRequestError('Please check the instruments.', {
      instruments: new ValidationError('invalid_instruments', problem),
    });
  }
  e.next();
}

/** A sentence saying what is wrong with the raw JSON, or '' when it is fine. */
function studioInstrumentsProblem(raw) {
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
    return 'Instruments must be a list of names, like ["drums", "bass"].';
  }
  if (value.length > MAX_STUDIO_INSTRUMENTS) {
    return `List at most ${MAX_STUDIO_INSTRUMENTS} instruments.`;
  }
  const seen = {};
  for (const item of value) {
    if (typeof item !== 'string' || item.trim() === '' || item.length > MAX_INSTRUMENT_LENGTH) {
      return `Each instrument must be a name of 1 to ${MAX_INSTRUMENT_LENGTH} characters.`;
    }
    const key = item.trim().toLowerCase();
    if (seen[key]) {
      return `"${item.trim()}" is listed twice.`;
    }
    seen[key] = true;
  }
  return '';
}

module.exports = { guardStudioInstruments, studioInstrumentsProblem };
