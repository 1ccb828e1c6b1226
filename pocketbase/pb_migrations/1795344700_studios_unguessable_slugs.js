/* global migrate, $security -- provided by PocketBase's JS runtime (goja) */
// Unlisted and private studios created before server-chosen addresses (pb_hooks/lib/slugs.js) move
// to an unguessable one: their readable slug could be guessed, or probed by trying to create a
// studio at it. Their old links stop working; the owner finds the new address in their list.
// Every such studio predates the hook when this runs once, so all of them move.
// Written out here rather than required from pb_hooks: a migration must not change with the hooks.
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const SUFFIX = 12;
const MAX_BASE = 40 - SUFFIX - 1;

migrate((app) => {
  const studios = app.findRecordsByFilter('studios', "visibility != 'public'", '', 0, 0);
  for (const studio of studios) {
    const slug = studio.getString('slug');
    const base = slug.slice(0, MAX_BASE).replace(/-+$/, '') || 'studio';
    studio.set('slug', `${base}-${$security.randomStringWithAlphabet(SUFFIX, ALPHABET)}`);
    app.saveNoValidate(studio);
  }
});
