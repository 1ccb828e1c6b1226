/// <reference path="../pb_data/types.d.ts" />
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
