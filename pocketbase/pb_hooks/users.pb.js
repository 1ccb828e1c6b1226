/// <reference path="../pb_data/types.d.ts" />
// Registration only; the logic is in lib/users.js.

onRecordCreateRequest((e) => {
  require(`${__hooks}/lib/users.js`).guardUserRequest(e);
}, 'users');

onRecordUpdateRequest((e) => {
  require(`${__hooks}/lib/users.js`).guardUserRequest(e);
}, 'users');
