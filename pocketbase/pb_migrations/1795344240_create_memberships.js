/* global migrate, Collection -- provided by PocketBase's JS runtime (goja) */
// Who belongs to which studio, with which role. Rows are created by server code only (the studio
// hook for the owner, /api/bandmesh/studios/{slug}/join for members); rules come next.
migrate(
  (app) => {
    const users = app.findCollectionByNameOrId('users');
    const studios = app.findCollectionByNameOrId('studios');
    const memberships = new Collection({
      type: 'base',
      name: 'memberships',
      listRule: null,
      viewRule: null,
      createRule: null,
      updateRule: null,
      deleteRule: null,
      fields: [
        {
          type: 'relation',
          name: 'studio',
          required: true,
          collectionId: studios.id,
          maxSelect: 1,
          cascadeDelete: true,
        },
        {
          type: 'relation',
          name: 'user',
          required: true,
          collectionId: users.id,
          maxSelect: 1,
          cascadeDelete: true,
        },
        {
          type: 'select',
          name: 'role',
          required: true,
          maxSelect: 1,
          values: ['owner', 'engineer', 'member'],
        },
        { type: 'autodate', name: 'created', onCreate: true },
        { type: 'autodate', name: 'updated', onCreate: true, onUpdate: true },
      ],
      indexes: [
        'CREATE UNIQUE INDEX idx_memberships_studio_user ON memberships (studio, user)',
        'CREATE INDEX idx_memberships_user ON memberships (user)',
      ],
    });
    app.save(memberships);
  },
  (app) => {
    app.delete(app.findCollectionByNameOrId('memberships'));
  },
);
