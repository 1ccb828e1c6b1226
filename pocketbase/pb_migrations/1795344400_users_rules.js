/* global migrate -- provided by PocketBase's JS runtime (goja) */
// Anyone may sign up; any signed-in user may view a profile (to show names in studios); the list
// only shows yourself and the people you share a studio with. Emails stay private: PocketBase
// hides `email` from everyone but its owner while emailVisibility is false, and
// pb_hooks/lib/users.js refuses requests that try to turn it on.
migrate(
  (app) => {
    const users = app.findCollectionByNameOrId('users');
    users.createRule = '';
    users.viewRule = "@request.auth.id != ''";
    users.listRule =
      "@request.auth.id != '' && (id = @request.auth.id || memberships_via_user.studio.memberships_via_studio.user ?= @request.auth.id)";
    users.updateRule = 'id = @request.auth.id';
    users.deleteRule = 'id = @request.auth.id';
    app.save(users);
  },
  (app) => {
    const users = app.findCollectionByNameOrId('users');
    users.listRule = 'id = @request.auth.id';
    users.viewRule = 'id = @request.auth.id';
    app.save(users);
  },
);
