/* global migrate -- provided by PocketBase's JS runtime (goja) */
// Members see the member list of their studios. Nobody creates memberships through the API. The
// studio owner may change others' roles (never to or from 'owner') and remove others; a member may
// leave (delete their own non-owner membership).
migrate(
  (app) => {
    const memberships = app.findCollectionByNameOrId('memberships');
    memberships.listRule = "@request.auth.id != '' && studio.memberships_via_studio.user ?= @request.auth.id";
    memberships.viewRule = memberships.listRule;
    memberships.createRule = null;
    memberships.updateRule = [
      "@request.auth.id != ''",
      'studio.owner = @request.auth.id',
      "role != 'owner'",
      '@request.body.studio:isset = false',
      '@request.body.user:isset = false',
      "(@request.body.role:isset = false || @request.body.role != 'owner')",
    ].join(' && ');
    memberships.deleteRule =
      "@request.auth.id != '' && role != 'owner' && (studio.owner = @request.auth.id || user = @request.auth.id)";
    app.save(memberships);
  },
  (app) => {
    const memberships = app.findCollectionByNameOrId('memberships');
    memberships.listRule = null;
    memberships.viewRule = null;
    memberships.updateRule = null;
    memberships.deleteRule = null;
    app.save(memberships);
  },
);
