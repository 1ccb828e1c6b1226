/* global Record, BadRequestError, ValidationError, __hooks -- provided by PocketBase's JS runtime (goja) */
/* eslint-disable @typescript-eslint/no-require-imports -- goja loads hook modules with CommonJS require() */
// Studio lifecycle. A studio and its owner's membership are created in one transaction: a studio
// without an owner membership would be invisible to its owner (the rules go through memberships).

const DEFAULT_VISIBILITY = 'private';
// ROOM_MAX_PLAYERS (src/lib/protocol/ticket.ts): a new studio admits a full room; the mesh limit
// only decides when its audio moves to the relay's SFU, and tickets clamp to BANDMESH_ROOM_LIMIT.
const DEFAULT_MAX_PLAYERS = 24;
// Who may record (issue 9): everyone until the owner says otherwise.
const DEFAULT_RECORDING_ALLOWED = 'everyone';

/** Fills the defaults the schema cannot express, before validation runs. */
function applyStudioDefaults(e) {
  if (!e.record.getString('visibility')) {
    e.record.set('visibility', DEFAULT_VISIBILITY);
  }
  if (!e.record.getInt('maxPlayers')) {
    e.record.set('maxPlayers', DEFAULT_MAX_PLAYERS);
  }
  if (!e.record.getString('recordingAllowed')) {
    e.record.set('recordingAllowed', DEFAULT_RECORDING_ALLOWED);
  }
  require(`${__hooks}/lib/slugs.js`).assignSlugOnCreate(e.record);
  e.next();
}

/**
 * A studio keeps its address: links already shared must keep working, and an unlisted or private
 * studio's random ending must not be dropped. Superusers may still move a studio.
 */
function guardStudioUpdateRequest(e) {
  if (!e.hasSuperuserAuth() && e.record.getString('slug') !== e.record.original().getString('slug')) {
    throw new BadRequestError('A studio keeps its address.', {
      slug: new ValidationError(
        'studio_slug_locked',
        "A studio's address cannot be changed: links you shared would stop working.",
      ),
    });
  }
  e.next();
}

/** Before every save of a changed studio: a studio leaving 'public' gets an unguessable address. */
function updateStudioSlug(e) {
  require(`${__hooks}/lib/slugs.js`).assignSlugOnUpdate(e.record);
  e.next();
}

/**
 * Wraps the studio insert (the rest of the execute chain) and the owner membership in a single
 * transaction; if the membership cannot be saved, the studio insert is rolled back too.
 */
function createStudioWithOwnerMembership(e) {
  const outerApp = e.app;
  outerApp.runInTransaction((txApp) => {
    e.app = txApp;
    try {
      e.next();
      const memberships = txApp.findCollectionByNameOrId('memberships');
      const owner = new Record(memberships);
      owner.set('studio', e.record.id);
      owner.set('user', e.record.getString('owner'));
      owner.set('role', 'owner');
      txApp.save(owner);
    } finally {
      e.app = outerApp;
    }
  });
}

module.exports = {
  applyStudioDefaults,
  createStudioWithOwnerMembership,
  guardStudioUpdateRequest,
  updateStudioSlug,
};
