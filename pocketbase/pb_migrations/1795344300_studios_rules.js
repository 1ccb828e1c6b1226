/* global migrate -- provided by PocketBase's JS runtime (goja) */
// Studios are seen by their members, and by any signed-in user when public (unlisted ones are
// reached by slug through /api/bandmesh/studios/{slug}/preview). Only the owner edits or deletes,
// and ownership cannot be handed over through the API.
migrate(
  (app) => {
    const studios = app.findCollectionByNameOrId('studios');
    const member = 'memberships_via_studio.user ?= @request.auth.id';
    studios.listRule = `@request.auth.id != '' && (visibility = 'public' || ${member})`;
    studios.viewRule = studios.listRule;
    studios.createRule = "@request.auth.id != '' && owner = @request.auth.id";
    studios.updateRule =
      'owner = @request.auth.id && (@request.body.owner:isset = false || @request.body.owner = @request.auth.id)';
    studios.deleteRule = 'owner = @request.auth.id';
    app.save(studios);
  },
  (app) => {
    const studios = app.findCollectionByNameOrId('studios');
    studios.listRule = null;
    studios.viewRule = null;
    studios.createRule = null;
    studios.updateRule = null;
    studios.deleteRule = null;
    app.save(studios);
  },
);
