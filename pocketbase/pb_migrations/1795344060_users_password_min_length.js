/* global migrate -- provided by PocketBase's JS runtime (goja) */
// Passwords of at least 10 characters; a shorter one fails with a field error on `password`.
migrate(
  (app) => {
    const users = app.findCollectionByNameOrId('users');
    users.fields.getByName('password').min = 10;
    app.save(users);
  },
  (app) => {
    const users = app.findCollectionByNameOrId('users');
    users.fields.getByName('password').min = 8;
    app.save(users);
  },
);
