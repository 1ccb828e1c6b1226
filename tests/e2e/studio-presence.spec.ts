import { expect, newPlayerPage, signUp, test } from './fixtures';

test('two players meet in a studio through a share link and see each other come and go', async ({
  browser,
  baseURL,
}) => {
  const ada = await newPlayerPage(browser, baseURL!);
  const bo = await newPlayerPage(browser, baseURL!);

  // Ada signs up and creates an unlisted studio; she lands in it, alone and connected.
  await signUp(ada, 'Ada', 'bass');
  const name = `Night Owls ${Date.now().toString(36)}`;
  await ada.getByLabel('Studio name').fill(name);
  await ada.getByRole('button', { name: 'Create studio' }).click();
  await expect(ada).toHaveURL(/\/s\/night-owls-/);
  const studioPath = new URL(ada.url()).pathname;
  await expect(ada.getByRole('heading', { name })).toBeVisible();
  await expect(ada.getByTestId('connection-status')).toHaveText(/Connected/);
  await expect(ada.getByTestId('present-player')).toHaveCount(1);
  await expect(ada.getByTestId('present-player')).toContainText('Ada');
  // The studio page is cross-origin isolated (COOP/COEP), so SharedArrayBuffer is available for audio.
  expect(await ada.evaluate(() => crossOriginIsolated && typeof SharedArrayBuffer === 'function')).toBe(true);

  // Bo opens the share link: asked to sign up first, then offered to join, then in the studio.
  await bo.goto(studioPath);
  await expect(bo).toHaveURL(/\/login\?next=/);
  await bo.getByRole('link', { name: 'Create an account' }).click();
  await signUp(bo, 'Bo', 'drums', studioPath);
  await expect(bo).toHaveURL(studioPath);
  await bo.getByRole('button', { name: 'Join this studio' }).click();

  // Both see both, with name and instrument.
  const boList = bo.getByTestId('present-player');
  await expect(boList).toHaveCount(2);
  await expect(boList.filter({ hasText: 'Ada' })).toContainText('bass');
  await expect(boList.filter({ hasText: 'Bo' })).toContainText('(you)');
  const adaList = ada.getByTestId('present-player');
  await expect(adaList).toHaveCount(2, { timeout: 2_000 });
  await expect(adaList.filter({ hasText: 'Bo' })).toContainText('drums');

  // Bo leaves: Ada sees it within 2 s.
  await bo.getByRole('button', { name: 'Leave' }).click();
  await expect(adaList).toHaveCount(1, { timeout: 2_000 });

  // Bo comes back (now a member: straight in), then closes the tab: Ada sees that within 2 s too.
  await bo.goto(studioPath);
  await expect(adaList).toHaveCount(2);
  await bo.close();
  await expect(adaList).toHaveCount(1, { timeout: 2_000 });
  await expect(adaList).toContainText('Ada');
});

test('a private studio shows a non-member only what a wrong address shows', async ({ browser, baseURL }) => {
  const owner = await newPlayerPage(browser, baseURL!);
  const stranger = await newPlayerPage(browser, baseURL!);
  await signUp(owner, 'Cleo', 'keys');
  await owner.getByLabel('Studio name').fill(`Secret ${Date.now().toString(36)}`);
  await owner.getByLabel('Invitation only').check();
  await owner.getByRole('button', { name: 'Create studio' }).click();
  await expect(owner.getByTestId('present-player')).toHaveCount(1);
  const path = new URL(owner.url()).pathname;

  await signUp(stranger, 'Dev', 'sax');
  await stranger.goto(path);
  await expect(stranger.getByRole('heading', { name: 'No studio here for you' })).toBeVisible();
  await expect(stranger.getByTestId('studio-not-found')).toContainText('needs an invitation from its owner');
  await expect(stranger.getByTestId('present-player')).toHaveCount(0);
  // The same page as for an address where no studio is.
  await stranger.goto(`${path}-none`);
  await expect(stranger.getByRole('heading', { name: 'No studio here for you' })).toBeVisible();
});
