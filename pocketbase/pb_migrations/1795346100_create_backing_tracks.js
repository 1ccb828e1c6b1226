/* global migrate, Collection -- provided by PocketBase's JS runtime (goja) */
// Backing tracks (issue 11): audio files a studio's members upload and play together. Members list,
// view and download (protected files: a file token of a member); members create. What a rule cannot
// say lives in internal/backingtracks: the uploader is forced to the signed-in user, the file must be
// WAV/MP3/Ogg/FLAC by its bytes (≤ 50 MB), ≤ 20 tracks per studio, `format`/`sampleRate`/`durationMs`
// come from the file, and only the uploader, an engineer or the owner deletes. No updates.
// Tracks go with their studio and with the uploader's account (cascade).
migrate(
  (app) => {
    const users = app.findCollectionByNameOrId('users');
    const studios = app.findCollectionByNameOrId('studios');
    const members = "@request.auth.id != '' && studio.memberships_via_studio.user ?= @request.auth.id";
    const tracks = new Collection({
      type: 'base',
      name: 'backing_tracks',
      listRule: members,
      viewRule: members,
      createRule: members,
      updateRule: null,
      deleteRule: members,
      fields: [
        {
          type: 'relation',
          name: 'studio',
          required: true,
          collectionId: studios.id,
          maxSelect: 1,
          cascadeDelete: true,
        },
        {
          type: 'relation',
          name: 'uploader',
          required: true,
          collectionId: users.id,
          maxSelect: 1,
          cascadeDelete: true,
        },
        { type: 'text', name: 'title', required: true, min: 1, max: 120 },
        {
          type: 'file',
          name: 'file',
          required: true,
          maxSelect: 1,
          maxSize: 50 * 1024 * 1024,
          protected: true,
        },
        { type: 'select', name: 'format', maxSelect: 1, values: ['wav', 'mp3', 'ogg', 'flac'] },
        { type: 'number', name: 'sampleRate', onlyInt: true, min: 0 },
        { type: 'number', name: 'durationMs', onlyInt: true, min: 0 },
        { type: 'autodate', name: 'created', onCreate: true },
        { type: 'autodate', name: 'updated', onCreate: true, onUpdate: true },
      ],
      indexes: ['CREATE INDEX idx_backing_tracks_studio ON backing_tracks (studio, created)'],
    });
    app.save(tracks);
  },
  (app) => {
    app.delete(app.findCollectionByNameOrId('backing_tracks'));
  },
);
