/* global migrate, Collection -- provided by PocketBase's JS runtime (goja) */
// Invitation links (issue 10): a secret token that makes its holder a member of one studio with the
// role it names (never owner). Only the token's SHA-256 is stored, in a hidden field: the link is
// shown once to its creator and nobody, superusers included, can read it back. Rows are created,
// accepted and revoked by /api/bandmesh/... routes (internal/studioapi); the studio's owner and the
// invitation's creator may list and view them. An optional `email` field can be added later for
// invitations sent by mail.
migrate(
  (app) => {
    const users = app.findCollectionByNameOrId('users');
    const studios = app.findCollectionByNameOrId('studios');
    const invitations = new Collection({
      type: 'base',
      name: 'invitations',
      listRule: "@request.auth.id != '' && (studio.owner = @request.auth.id || createdBy = @request.auth.id)",
      viewRule: "@request.auth.id != '' && (studio.owner = @request.auth.id || createdBy = @request.auth.id)",
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
        { type: 'select', name: 'role', required: true, maxSelect: 1, values: ['engineer', 'member'] },
        {
          type: 'text',
          name: 'tokenHash',
          required: true,
          hidden: true,
          min: 64,
          max: 64,
          pattern: '^[0-9a-f]{64}$',
        },
        { type: 'date', name: 'expires', required: true },
        { type: 'number', name: 'maxUses', required: true, onlyInt: true, min: 1, max: 100 },
        { type: 'number', name: 'uses', onlyInt: true, min: 0, max: 100 },
        {
          type: 'relation',
          name: 'createdBy',
          required: true,
          collectionId: users.id,
          maxSelect: 1,
          cascadeDelete: true,
        },
        { type: 'bool', name: 'revoked' },
        { type: 'autodate', name: 'created', onCreate: true },
        { type: 'autodate', name: 'updated', onCreate: true, onUpdate: true },
      ],
      indexes: [
        'CREATE UNIQUE INDEX idx_invitations_token ON invitations (tokenHash)',
        'CREATE INDEX idx_invitations_studio ON invitations (studio)',
      ],
    });
    app.save(invitations);
  },
  (app) => {
    app.delete(app.findCollectionByNameOrId('invitations'));
  },
);
