/* global migrate -- provided by PocketBase's JS runtime (goja) */
// Deleting an account goes only through POST /api/bandmesh/me/delete (internal/account): it asks
// for the password again, so a token left in a shared browser cannot erase an account, and it hands
// each owned studio to its oldest engineer instead of letting the cascade delete the whole band's
// studio.
migrate(
  (app) => {
    const users = app.findCollectionByNameOrId('users');
    users.deleteRule = null;
    app.save(users);
  },
  (app) => {
    const users = app.findCollectionByNameOrId('users');
    users.deleteRule = 'id = @request.auth.id';
    app.save(users);
  },
);
