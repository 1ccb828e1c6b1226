/* global onRecordCreateRequest, onRecordUpdateRequest, __hooks -- provided by PocketBase's JS runtime (goja) */
/* eslint-disable @typescript-eslint/no-require-imports -- goja loads hook modules with CommonJS require() */
// Registration only; the logic is in lib/users.js.

onRecordCreateRequest((e) => {
  require(`${__hooks}/lib/users.js`).guardUserRequest(e);
}, 'users');

onRecordUpdateRequest((e) => {
  require(`${__hooks}/lib/users.js`).guardUserRequest(e);
}, 'users');
