/* global migrate, EmailField -- provided by PocketBase's JS runtime (goja) */
// Invitations by email (issue 10): an invitation may be bound to one address. Only a signed-in user
// whose verified address equals it can accept (internal/studioapi). Empty for invitation links. The
// studio's owner and the invitation's creator can read it through the existing list/view rules; it is
// the address they typed, so it tells them nothing new.
migrate(
  (app) => {
    const invitations = app.findCollectionByNameOrId('invitations');
    invitations.fields.add(new EmailField({ name: 'email', required: false }));
    invitations.indexes.push('CREATE INDEX idx_invitations_email ON invitations (studio, email)');
    app.save(invitations);
  },
  (app) => {
    const invitations = app.findCollectionByNameOrId('invitations');
    invitations.indexes = invitations.indexes.filter((i) => !i.includes('idx_invitations_email'));
    invitations.fields.removeByName('email');
    app.save(invitations);
  },
);
