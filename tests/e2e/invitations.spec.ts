import { expect, newPlayerPage, signUp, test } from './fixtures';

test('an invitation link brings a new player into a private studio; the owner makes them engineer; they leave', async ({
  browser,
  baseURL,
}) => {
  const ada = await newPlayerPage(browser, baseURL!);
  const bo = await newPlayerPage(browser, baseURL!);

  // Ada creates an invitation-only studio and, from its members page, an invite link.
  await signUp(ada, 'Ada', 'bass');
  const name = `Back Room ${Date.now().toString(36)}`;
  await ada.getByLabel('Studio name').fill(name);
  await ada.getByLabel('Invitation only').check();
  await ada.getByRole('button', { name: 'Create studio' }).click();
  await expect(ada.getByTestId('present-player')).toHaveCount(1);
  const studioPath = new URL(ada.url()).pathname;
  await ada.getByRole('link', { name: 'Members' }).click();
  await expect(ada.getByRole('heading', { name: 'Members' })).toBeVisible();
  await ada.getByRole('button', { name: 'Create invite link' }).click();
  const link = await ada.getByTestId('invite-link').inputValue();
  expect(link).toMatch(/\/invite\?token=[A-Za-z0-9_-]{43}$/);
  await expect(ada.getByTestId('open-invite')).toHaveCount(1);
  await expect(ada.getByTestId('open-invite')).toContainText('0 of 1 used');

  // Ada stays in the room in another tab while she manages members in this one.
  const adaRoom = await ada.context().newPage();
  await adaRoom.goto(studioPath);
  await expect(adaRoom.getByTestId('present-player')).toHaveCount(1);

  // Bo, new here, opens it: asked to sign up, then back on the invitation, then in the studio.
  await bo.goto(link);
  await expect(bo.getByRole('heading', { name: 'You are invited to a studio' })).toBeVisible();
  const invitePath = new URL(link).pathname + new URL(link).search;
  await expect(bo.getByRole('link', { name: 'Create an account' })).toHaveAttribute(
    'href',
    `/signup?next=${encodeURIComponent(invitePath)}`,
  );
  await bo.getByRole('link', { name: 'Create an account' }).click();
  await signUp(bo, 'Bo', 'drums', invitePath);
  await expect(bo.getByTestId('invite-summary')).toHaveText('Ada invites you to join as a member.');
  await bo.getByRole('button', { name: `Join ${name}` }).click();
  await expect(bo).toHaveURL(studioPath);
  const boList = bo.getByTestId('present-player');
  await expect(boList).toHaveCount(2);
  await expect(boList.filter({ hasText: '(you)' })).toContainText('member');

  // The link was for one person: used up, it is no longer listed as open.
  await ada.reload();
  await expect(ada.getByTestId('member')).toHaveCount(2);
  await expect(ada.getByTestId('open-invite')).toHaveCount(0);

  // Ada makes Bo engineer: Bo's own page shows it while he is in the room.
  const boRow = ada.getByTestId('member').filter({ hasText: 'Bo' });
  await expect(boRow.getByTestId('member-role')).toHaveText('member');
  await boRow.getByRole('button', { name: 'Make engineer' }).click();
  await expect(boRow.getByTestId('member-role')).toHaveText('engineer');
  await expect(boList.filter({ hasText: '(you)' })).toContainText('engineer', { timeout: 5_000 });
  await expect(adaRoom.getByTestId('present-player').filter({ hasText: 'Bo' })).toContainText('engineer', {
    timeout: 5_000,
  });

  // Bo leaves for good: gone from the list, and the private studio is closed to him.
  await bo.getByRole('link', { name: 'Members' }).click();
  await bo.getByRole('button', { name: 'Leave this studio…' }).click();
  await bo.getByRole('button', { name: 'Yes, leave' }).click();
  await expect(bo.getByRole('heading', { name: 'Hi Bo' })).toBeVisible();
  await bo.goto(studioPath);
  await expect(bo.getByRole('heading', { name: 'No studio here for you' })).toBeVisible();
  await ada.reload();
  await expect(ada.getByTestId('member')).toHaveCount(1);
  await expect(adaRoom.getByTestId('present-player')).toHaveCount(1);
  // The used link does not bring him back.
  await bo.goto(link);
  await expect(bo.getByTestId('invite-error')).toContainText('used as often as it allows');
});
