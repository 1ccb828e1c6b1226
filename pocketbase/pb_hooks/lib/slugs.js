/* global $security -- provided by PocketBase's JS runtime (goja) */
// Studio addresses. A public studio keeps the readable slug its owner chose; an unlisted or private
// one gets a random ending chosen here, so its address cannot be guessed (or probed by trying to
// create a studio at it). The client cannot choose or remove the ending: it is always added anew.

// Lower-case RFC 4648 base32; 12 characters = 60 bits from PocketBase's crypto/rand.
const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const SUFFIX_LENGTH = 12;
// The slug field holds at most 40 characters: the readable part, a dash, the suffix.
const MAX_SLUG = 40;
const MAX_BASE = MAX_SLUG - SUFFIX_LENGTH - 1;
const FALLBACK_BASE = 'studio';

/** The readable part clipped to fit, or 'studio' when nothing readable is left. */
function readableBase(slug) {
  const base = String(slug || '')
    .slice(0, MAX_BASE)
    .replace(/-+$/, '');
  return base || FALLBACK_BASE;
}

/** `base-xxxxxxxxxxxx` with a fresh random ending. */
function unguessableSlug(slug) {
  return `${readableBase(slug)}-${$security.randomStringWithAlphabet(SUFFIX_LENGTH, SUFFIX_ALPHABET)}`;
}

function needsSuffix(visibility) {
  return visibility !== 'public';
}

/** On create: unlisted and private studios get the random ending whatever slug the client sent. */
function assignSlugOnCreate(record) {
  if (needsSuffix(record.getString('visibility'))) {
    record.set('slug', unguessableSlug(record.getString('slug')));
  }
}

/**
 * On update: a public studio made unlisted or private moves to a fresh unguessable address (its
 * readable one was public knowledge). Going the other way keeps the address, so links keep working.
 */
function assignSlugOnUpdate(record) {
  const before = record.original();
  const wasPublic = before.getString('visibility') === 'public';
  if (wasPublic && needsSuffix(record.getString('visibility'))) {
    record.set('slug', unguessableSlug(before.getString('slug')));
  }
}

module.exports = { assignSlugOnCreate, assignSlugOnUpdate, unguessableSlug };
