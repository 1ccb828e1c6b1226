/* global migrate, Collection -- provided by PocketBase's JS runtime (goja) */
// Uploaded takes (issue 9, "optional upload, by consent"). `recordings` holds finished uploads, readable
// by the studio's members only; `recording_uploads` holds unfinished chunked uploads and is server-only
// (internal/recordings; the parts live in <dataDir>/bandmesh_uploads, removed with their row). Both
// go with their studio and with the uploader's account (cascade; PocketBase removes record files, a
// hook removes the parts). Records are created only by POST /api/bandmesh/uploads/{id}/complete.
// The file field's maxSize set here is the default limit; the server rewrites it at start to
// BANDMESH_RECORDING_MAX_BYTES.
migrate(
  (app) => {
    const users = app.findCollectionByNameOrId('users');
    const studios = app.findCollectionByNameOrId('studios');
    const twoGiB = 2 * 1024 * 1024 * 1024;
    const common = () => [
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
      { type: 'text', name: 'name', required: true, min: 1, max: 120 },
      { type: 'select', name: 'kind', required: true, maxSelect: 1, values: ['mix', 'stems'] },
      { type: 'text', name: 'takeId', required: true, min: 1, max: 64, pattern: '^[A-Za-z0-9_-]+$' },
      { type: 'number', name: 'durationFrames', onlyInt: true, min: 0 },
    ];

    const members = "@request.auth.id != '' && studio.memberships_via_studio.user ?= @request.auth.id";
    const uploaderOrOwner =
      "@request.auth.id != '' && (uploader = @request.auth.id || studio.owner = @request.auth.id)";
    const recordings = new Collection({
      type: 'base',
      name: 'recordings',
      listRule: members,
      viewRule: members,
      createRule: null,
      // Only the name may change: every other field is refused in any body shape (PocketBase
      // normalises `field+`/`field-` modifiers into @request.body.field).
      updateRule: [
        uploaderOrOwner,
        '@request.body.studio:isset = false',
        '@request.body.uploader:isset = false',
        '@request.body.kind:isset = false',
        '@request.body.takeId:isset = false',
        '@request.body.durationFrames:isset = false',
        '@request.body.bytes:isset = false',
        '@request.body.file:isset = false',
      ].join(' && '),
      deleteRule: uploaderOrOwner,
      fields: [
        ...common(),
        { type: 'number', name: 'bytes', required: true, onlyInt: true, min: 1 },
        {
          type: 'file',
          name: 'file',
          required: true,
          maxSelect: 1,
          maxSize: twoGiB,
          protected: true,
        },
        { type: 'autodate', name: 'created', onCreate: true },
        { type: 'autodate', name: 'updated', onCreate: true, onUpdate: true },
      ],
      indexes: [
        'CREATE INDEX idx_recordings_studio ON recordings (studio, created)',
        'CREATE INDEX idx_recordings_uploader ON recordings (uploader, takeId, kind)',
      ],
    });
    app.save(recordings);

    const uploads = new Collection({
      type: 'base',
      name: 'recording_uploads',
      listRule: null,
      viewRule: null,
      createRule: null,
      updateRule: null,
      deleteRule: null,
      fields: [
        ...common(),
        { type: 'number', name: 'size', required: true, onlyInt: true, min: 1 },
        { type: 'number', name: 'received', onlyInt: true, min: 0 },
        { type: 'text', name: 'fileName', required: true, min: 1, max: 100 },
        { type: 'text', name: 'sha256', max: 64, pattern: '^[0-9a-f]{64}$' },
        { type: 'autodate', name: 'created', onCreate: true },
        { type: 'autodate', name: 'updated', onCreate: true, onUpdate: true },
      ],
      indexes: [
        'CREATE UNIQUE INDEX idx_recording_uploads_take ON recording_uploads (studio, uploader, takeId, kind)',
        'CREATE INDEX idx_recording_uploads_uploader ON recording_uploads (uploader)',
        'CREATE INDEX idx_recording_uploads_updated ON recording_uploads (updated)',
      ],
    });
    app.save(uploads);
  },
  (app) => {
    app.delete(app.findCollectionByNameOrId('recording_uploads'));
    app.delete(app.findCollectionByNameOrId('recordings'));
  },
);
