/* global migrate, JSONField, TextField, SelectField -- provided by PocketBase's JS runtime (goja) */
// Profile fields on the built-in users collection: a display name, an avatar and what a musician
// plays. Instruments are free-form strings (validated in pb_hooks/lib/users.js) because no fixed
// list fits everyone.
migrate(
  (app) => {
    const users = app.findCollectionByNameOrId('users');

    const name = users.fields.getByName('name');
    name.required = true;
    name.min = 1;
    name.max = 80;

    const avatar = users.fields.getByName('avatar');
    avatar.maxSelect = 1;
    avatar.maxSize = 2 * 1024 * 1024;
    // No SVG: it can carry scripts.
    avatar.mimeTypes = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'];
    avatar.thumbs = ['64x64', '256x256'];

    users.fields.add(new JSONField({ name: 'instruments', maxSize: 4096 }));
    users.fields.add(new TextField({ name: 'city', max: 80 }));
    users.fields.add(new TextField({ name: 'country', max: 80 }));
    users.fields.add(
      new SelectField({
        name: 'skill',
        maxSelect: 1,
        values: ['beginner', 'intermediate', 'advanced', 'professional'],
      }),
    );
    users.fields.add(new JSONField({ name: 'preferences', maxSize: 16384 }));

    app.save(users);
  },
  (app) => {
    const users = app.findCollectionByNameOrId('users');
    for (const field of ['instruments', 'city', 'country', 'skill', 'preferences']) {
      users.fields.removeByName(field);
    }
    const name = users.fields.getByName('name');
    name.required = false;
    name.min = 0;
    name.max = 255;
    app.save(users);
  },
);
