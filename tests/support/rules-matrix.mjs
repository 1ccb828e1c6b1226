/**
 * The rules matrix: for every non-system collection, which actor may list, view, create, update and
 * delete through PocketBase's REST API. One table, two readers: tests/integration/rules-matrix.test.ts
 * exercises every cell against the real server, and scripts/render-rules-matrix.mjs writes it into
 * docs/pocketbase.md (tests/lint/rules-matrix-docs.test.ts fails when the docs' copy is stale).
 *
 * The actors are relative to one private studio S: its owner, an engineer, a member, a signed-in
 * user who is not in it ("other user"), and a visitor without a session. Each row names the record
 * the cells are about; `create` is about creating such a record for oneself. Bandmesh's own routes
 * (/api/bandmesh/...) are not in this table: they have their own tests.
 */

/** @typedef {'anonymous' | 'other user' | 'member' | 'engineer' | 'owner'} Actor */
/** @typedef {'list' | 'view' | 'create' | 'update' | 'delete'} Operation */
/**
 * @typedef {{
 *   collection: string,
 *   target: string,
 *   allowed: Record<Operation, Actor[]>,
 *   notes: Partial<Record<Operation, string>>,
 * }} CollectionRules
 */

/** @type {readonly Actor[]} */
export const ACTORS = ['anonymous', 'other user', 'member', 'engineer', 'owner'];
/** @type {readonly Operation[]} */
export const OPERATIONS = ['list', 'view', 'create', 'update', 'delete'];

/** @type {Actor[]} */
const SIGNED_IN = ['other user', 'member', 'engineer', 'owner'];
/** @type {Actor[]} */
const MEMBERS = ['member', 'engineer', 'owner'];

/** @type {CollectionRules[]} */
export const RULES_MATRIX = [
  {
    collection: 'users',
    target: "another member's profile",
    allowed: {
      list: MEMBERS,
      view: MEMBERS,
      create: ['anonymous', ...SIGNED_IN],
      update: [],
      delete: [],
    },
    notes: {
      list: 'yourself and the people you share a studio with',
      view: 'yourself and the people you share a studio with; `email` only on your own record',
      create: 'sign-up; `verified` and `emailVisibility` cannot be set',
      update: 'only your own record',
      delete: 'nobody through the records API: `POST /api/bandmesh/me/delete` with the password',
    },
  },
  {
    collection: 'studios',
    target: 'the private studio S',
    allowed: {
      list: MEMBERS,
      view: MEMBERS,
      create: SIGNED_IN,
      update: ['owner'],
      delete: ['owner'],
    },
    notes: {
      list: 'public studios: every signed-in user',
      view: 'public studios: every signed-in user',
      create: '`owner` must be yourself; with the verified-address rule, a verified address',
      update: '`owner` cannot change',
    },
  },
  {
    collection: 'memberships',
    target: "a member's membership in S",
    allowed: {
      list: MEMBERS,
      view: MEMBERS,
      create: [],
      update: ['owner'],
      delete: ['owner'],
    },
    notes: {
      create: 'only through /join and invitations',
      update: '`role` only, never to or from owner',
      delete: 'a member may delete their own (leave); nobody the owner’s',
    },
  },
  {
    collection: 'invitations',
    target: 'an invitation to S the owner created',
    allowed: {
      list: ['owner'],
      view: ['owner'],
      create: [],
      update: [],
      delete: [],
    },
    notes: {
      list: 'an engineer sees the ones they created',
      view: 'an engineer sees the ones they created',
      create: 'only through /api/bandmesh routes (the token is never stored)',
      update: 'revoke through /api/bandmesh/invitations/{id}/revoke',
    },
  },
  {
    collection: 'recordings',
    target: 'a take in S another member uploaded',
    allowed: {
      list: MEMBERS,
      view: MEMBERS,
      create: [],
      update: ['owner'],
      delete: ['owner'],
    },
    notes: {
      create: 'only through the upload routes',
      update: '`name` only; the uploader may rename their own',
      delete: 'the uploader may delete their own',
    },
  },
  {
    collection: 'backing_tracks',
    target: 'a backing track in S another member uploaded',
    allowed: {
      list: MEMBERS,
      view: MEMBERS,
      create: MEMBERS,
      update: [],
      delete: ['engineer', 'owner'],
    },
    notes: {
      create: 'WAV, MP3, Ogg or FLAC by content, ≤ 50 MB, ≤ 20 per studio; `uploader` is always yourself',
      update: 'nobody: upload again instead',
      delete: 'the uploader may delete their own',
    },
  },
  {
    collection: 'recording_uploads',
    target: 'an unfinished upload in S',
    allowed: { list: [], view: [], create: [], update: [], delete: [] },
    notes: { list: 'server-only: the upload routes' },
  },
];
