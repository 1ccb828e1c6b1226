/* global onRecordCreate, onRecordCreateRequest, onRecordCreateExecute, onRecordUpdate, onRecordUpdateRequest, __hooks -- provided by PocketBase's JS runtime (goja) */
/* eslint-disable @typescript-eslint/no-require-imports -- goja loads hook modules with CommonJS require() */
// Registration only; the logic is in lib/studios.js. Handlers run in their own JS runtimes, so each
// one requires the module itself.

onRecordCreate((e) => {
  require(`${__hooks}/lib/studios.js`).applyStudioDefaults(e);
}, 'studios');

onRecordCreateExecute((e) => {
  require(`${__hooks}/lib/studios.js`).createStudioWithOwnerMembership(e);
}, 'studios');

onRecordUpdateRequest((e) => {
  require(`${__hooks}/lib/studios.js`).guardStudioUpdateRequest(e);
}, 'studios');

onRecordUpdateRequest((e) => {
  require(`${__hooks}/lib/studio-fields.js`).guardStudioInstruments(e);
}, 'studios');

onRecordUpdate((e) => {
  require(`${__hooks}/lib/studios.js`).updateStudioSlug(e);
}, 'studios');

onRecordCreateRequest((e) => {
  require(`${__hooks}/lib/studio-fields.js`).guardStudioInstruments(e);
}, 'studios');
