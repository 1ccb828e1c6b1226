/* global migrate -- provided by PocketBase's JS runtime (goja) */
// A profile (name, avatar, instruments, city, skill) is seen only by its owner and by people who
// share a studio with them: the view rule becomes the list rule. A stranger guessing or collecting
// ids gets 404, as for a record that does not exist, and someone who left a studio no longer sees
// the people they met there (unless they share another studio).
const SHARED_STUDIO =
  "@request.auth.id != '' && (id = @request.auth.id || memberships_via_user.studio.memberships_via_studio.user ?= @request.auth.id)";

migrate(
  (app) => {
    const users = app.findCollectionByNameOrId('users');
    users.viewRule = SHARED_STUDIO;
    users.listRule = SHARED_STUDIO;
    app.save(users);
  },
  (app) => {
    const users = app.findCollectionByNameOrId('users');
    users.viewRule = "@request.auth.id != ''";
    app.save(users);
  },
);
