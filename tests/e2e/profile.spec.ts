import { png } from '../support/png';
import { expect, newPlayerPage, signUp, test } from './fixtures';

test('a player edits their profile and uploads a picture; the server refuses what is not one', async ({
  browser,
  baseURL,
}) => {
  const page = await newPlayerPage(browser, baseURL!);
  await signUp(page, 'Gil', 'violin');
  await page.getByTestId('signed-in-as').click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByTestId('instrument-chips')).toHaveText(/violin/);

  await page.getByLabel('Name').fill('Gil Evans');
  await page.getByLabel('Instruments', { exact: true }).fill('piano');
  await page.getByLabel('Instruments', { exact: true }).press('Enter');
  await page.getByLabel('Instruments', { exact: true }).fill('arranging');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  await page.getByRole('button', { name: 'Remove violin' }).click();
  await page.getByLabel('City').fill('Toronto');
  await page.getByLabel('Country').fill('Canada');
  await page.getByLabel('Skill level').selectOption('professional');

  // Too big: the server's size limit, said with both sizes.
  const picker = page.locator('input[type=file][name=avatar]');
  await picker.setInputFiles({
    name: 'big.png',
    mimeType: 'image/png',
    buffer: Buffer.from(png(8, Math.round(5.2 * 1024 * 1024))),
  });
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByTestId('avatar-error')).toHaveText('That file is 5.2 MB; the limit is 2 MB.');

  // A script dressed as a PNG: judged by its content.
  await picker.setInputFiles({
    name: 'cat.png',
    mimeType: 'image/png',
    buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
  });
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByTestId('avatar-error')).toHaveText('Only JPEG, PNG, WebP or GIF.');

  await picker.setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: Buffer.from(png(320)) });
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByTestId('profile-saved')).toBeVisible();
  await expect(page.getByTestId('avatar-error')).toHaveCount(0);
  await expect(page.getByTestId('signed-in-as')).toHaveText('Gil Evans');

  // After a reload everything comes back from the server, the picture as its thumbnail.
  await page.reload();
  await expect(page.getByLabel('Name')).toHaveValue('Gil Evans');
  await expect(page.getByTestId('instrument-chips')).toHaveText(/piano\s*×\s*arranging/);
  await expect(page.getByLabel('City')).toHaveValue('Toronto');
  await expect(page.getByLabel('Country')).toHaveValue('Canada');
  await expect(page.getByLabel('Skill level')).toHaveValue('professional');
  const preview = page.getByTestId('avatar-preview');
  await expect(preview).toHaveAttribute('src', /\/api\/files\/.+\.png\?thumb=256x256/);
  await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(256);

  // In a studio, the presence list shows the picture's small thumbnail and every instrument.
  const slug = `gil-${Date.now().toString(36)}`;
  await page.goto('/');
  await page.getByLabel('Studio name').fill('Birth of the Cool');
  await page.getByLabel('Address').fill(slug);
  await page.getByRole('button', { name: 'Create studio' }).click();
  // An unlisted studio (the form's default): the server adds a random ending to the address.
  await expect(page).toHaveURL(new RegExp(`/s/${slug}-[a-z0-9]+$`));
  const me = page.getByTestId('present-player');
  await expect(me).toContainText('piano, arranging · owner');
  const avatar = me.getByTestId('player-avatar');
  await expect(avatar).toHaveAttribute('src', /\?thumb=64x64$/);
  await expect.poll(() => avatar.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(64);
});
