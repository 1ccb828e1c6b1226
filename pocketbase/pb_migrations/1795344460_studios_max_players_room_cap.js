/* global migrate -- provided by PocketBase's JS runtime (goja) */
// Rooms beyond the mesh (issue 8): a studio may admit up to ROOM_PLAYERS_CAP (64) players; the relay's
// SFU carries the audio above the mesh limit. Tickets still carry min(maxPlayers, BANDMESH_ROOM_LIMIT).
// Studios left at the old default of 6 (the mesh cap, not a choice: no screen offered another value)
// move to the new default, ROOM_MAX_PLAYERS (24), so a 7th player can join them.
const OLD_MAX = 16;
const NEW_MAX = 64;
const OLD_DEFAULT = 6;
const NEW_DEFAULT = 24;

migrate(
  (app) => {
    const studios = app.findCollectionByNameOrId('studios');
    studios.fields.getByName('maxPlayers').max = NEW_MAX;
    app.save(studios);
    app
      .db()
      .newQuery('UPDATE studios SET maxPlayers = {:to} WHERE maxPlayers = {:from}')
      .bind({ from: OLD_DEFAULT, to: NEW_DEFAULT })
      .execute();
  },
  (app) => {
    // Back to the old default and the old range; values the old schema cannot hold are clipped.
    app
      .db()
      .newQuery('UPDATE studios SET maxPlayers = {:to} WHERE maxPlayers = {:from}')
      .bind({ from: NEW_DEFAULT, to: OLD_DEFAULT })
      .execute();
    app
      .db()
      .newQuery('UPDATE studios SET maxPlayers = {:max} WHERE maxPlayers > {:max}')
      .bind({ max: OLD_MAX })
      .execute();
    const studios = app.findCollectionByNameOrId('studios');
    studios.fields.getByName('maxPlayers').max = OLD_MAX;
    app.save(studios);
  },
);
