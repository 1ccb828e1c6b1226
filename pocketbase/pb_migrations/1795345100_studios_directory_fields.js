/* global migrate, SelectField, JSONField -- provided by PocketBase's JS runtime (goja) */
// The public studio directory (issue 10): a studio's genre and the instruments it plays or looks
// for, both set by the owner. Genre is a select, not free text, so the directory can offer one
// filter list and "Jazz", "jazz " and "jaz" never split a genre three ways. Instruments are the
// studio's own list (checked by pb_hooks/lib/studio-fields.js), never read from members' profiles,
// which only co-members may see. Keep GENRES equal to STUDIO_GENRES in src/lib/pb/studio-fields.ts.
const GENRES = [
  'rock',
  'pop',
  'jazz',
  'blues',
  'folk',
  'classical',
  'electronic',
  'hip-hop',
  'metal',
  'funk-soul',
  'country',
  'latin',
  'world',
  'experimental',
  'other',
];

migrate(
  (app) => {
    const studios = app.findCollectionByNameOrId('studios');
    studios.fields.add(new SelectField({ name: 'genre', required: false, maxSelect: 1, values: GENRES }));
    studios.fields.add(new JSONField({ name: 'instruments', maxSize: 2048 }));
    app.save(studios);
  },
  (app) => {
    const studios = app.findCollectionByNameOrId('studios');
    studios.fields.removeByName('genre');
    studios.fields.removeByName('instruments');
    app.save(studios);
  },
);
