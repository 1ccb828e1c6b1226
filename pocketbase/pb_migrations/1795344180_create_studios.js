/* global migrate, Collection -- provided by PocketBase's JS runtime (goja) */
// Studios: a named room with an address (slug). API rules come in a later migration because they
// reference memberships, which does not exist yet. Locked (null rules) until then.
migrate(
  (app) => {
    const users = app.findCollectionByNameOrId('users');
    const studios = new Collection({
      type: 'base',
      name: 'studios',
      listRule: null,
      viewRule: null,
      createRule: null,
      updateRule: null,
      deleteRule: null,
      fields: [
        { type: 'text', name: 'name', required: true, min: 1, max: 80 },
        {
          type: 'text',
          name: 'slug',
          required: true,
          min: 3,
          max: 40,
          pattern: '^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$',
        },
        {
          type: 'relation',
          name: 'owner',
          required: true,
          collectionId: users.id,
          maxSelect: 1,
          cascadeDelete: true,
        },
        // Defaults ('private', 6) are set by pb_hooks/lib/studios.js before validation.
        {
          type: 'select',
          name: 'visibility',
          required: true,
          maxSelect: 1,
          values: ['private', 'unlisted', 'public'],
        },
        { type: 'number', name: 'maxPlayers', required: true, onlyInt: true, min: 2, max: 16 },
        { type: 'text', name: 'description', max: 500 },
        { type: 'autodate', name: 'created', onCreate: true },
        { type: 'autodate', name: 'updated', onCreate: true, onUpdate: true },
      ],
      indexes: [
        'CREATE UNIQUE INDEX idx_studios_slug ON studios (slug)',
        'CREATE INDEX idx_studios_owner ON studios (owner)',
      ],
    });
    app.save(studios);
  },
  (app) => {
    app.delete(app.findCollectionByNameOrId('studios'));
  },
);
