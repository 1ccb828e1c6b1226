/* global migrate -- provided by PocketBase's JS runtime (goja) */
// Mail templates whose links open the app's own pages (src/routes/auth/*), not PocketBase's dashboard,
// and the app name the mails sign with. PocketBase fills {APP_URL} (BANDMESH_APP_URL), {TOKEN} and
// {RECORD:name} (HTML-escaped) and wraps the body in its layout.
const button = (path, label) =>
  `<p><a class="btn" href="{APP_URL}/auth/${path}?token={TOKEN}" target="_blank" rel="noopener">${label}</a></p>` +
  `<p>Or paste this address into your browser:<br><span style="word-break:break-all">{APP_URL}/auth/${path}?token={TOKEN}</span></p>`;

const templates = {
  verificationTemplate: {
    subject: 'Confirm your email for {APP_NAME}',
    body:
      '<p>Hi {RECORD:name},</p><p>Welcome to {APP_NAME}! Confirm this is your address and you can create studios and jam with anyone.</p>' +
      button('verify', 'Confirm my email') +
      '<p>Did not sign up? Ignore this mail and nothing happens.</p><p>— {APP_NAME}</p>',
  },
  resetPasswordTemplate: {
    subject: 'Choose a new {APP_NAME} password',
    body:
      '<p>Hi {RECORD:name},</p><p>Someone (hopefully you) asked to reset your password. Choose a new one here:</p>' +
      button('reset', 'Choose a new password') +
      '<p>The link works once, for a short while. Did not ask? Ignore this mail: your password stays as it is.</p><p>— {APP_NAME}</p>',
  },
  confirmEmailChangeTemplate: {
    subject: 'Confirm your new email for {APP_NAME}',
    body:
      '<p>Hi {RECORD:name},</p><p>Confirm that {APP_NAME} should send your mail to this address from now on:</p>' +
      button('email-change', 'Confirm my new email') +
      '<p>Did not ask? Ignore this mail: your account keeps its current address.</p><p>— {APP_NAME}</p>',
  },
};

migrate(
  (app) => {
    const users = app.findCollectionByNameOrId('users');
    for (const [name, template] of Object.entries(templates)) {
      users[name].subject = template.subject;
      users[name].body = template.body;
    }
    app.save(users);
    const settings = app.settings();
    settings.meta.appName = 'Bandmesh';
    settings.meta.senderName = 'Bandmesh';
    app.save(settings);
  },
  // No down step: PocketBase's own templates link to its dashboard, which users never see.
);
