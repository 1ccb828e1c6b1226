/* global migrate, SelectField -- provided by PocketBase's JS runtime (goja) */
// "Everyone knows" (issue 9): the studio owner decides who may record — everyone, the owner and the
// engineers, or nobody. Tickets carry the answer for their holder (`rec`), and a change is pushed to
// the live room (relaycontrol). Only the owner edits a studio (1795344300_studios_rules.js), so only
// the owner changes this. New studios get 'everyone' from pb_hooks/lib/studios.js; existing ones here.
const VALUES = ['everyone', 'engineers', 'nobody'];
const DEFAULT = 'everyone';

migrate(
  (app) => {
    const studios = app.findCollectionByNameOrId('studios');
    studios.fields.add(
      new SelectField({ name: 'recordingAllowed', required: true, maxSelect: 1, values: VALUES }),
    );
    app.save(studios);
    app
      .db()
      .newQuery("UPDATE studios SET recordingAllowed = {:value} WHERE recordingAllowed = ''")
      .bind({ value: DEFAULT })
      .execute();
  },
  (app) => {
    const studios = app.findCollectionByNameOrId('studios');
    studios.fields.removeByName('recordingAllowed');
    app.save(studios);
  },
);
