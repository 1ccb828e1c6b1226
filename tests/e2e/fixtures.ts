import { test as base, expect, type Browser, type Page } from '@playwright/test';

/** Every test talks to the stack that global-setup started. */
export const test = base.extend({
  // eslint-disable-next-line no-empty-pattern
  baseURL: async ({}, use) => {
    const url = process.env.BANDMESH_E2E_URL;
    if (!url) throw new Error('BANDMESH_E2E_URL is not set: global-setup did not start the stack');
    await use(url);
  },
});
export { expect };

let counter = 0;

/** A unique email per call, so tests never collide on the shared server. */
export function uniqueEmail(name: string): string {
  return `${name.toLowerCase()}-${Date.now().toString(36)}-${counter++}@example.test`;
}

export const PASSWORD = 'correct horse battery';

/** Signs a new player up through the real form, in a page of its own context. */
export async function signUp(page: Page, name: string, instrument: string, next?: string): Promise<string> {
  const email = uniqueEmail(name);
  await page.goto(next ? `/signup?next=${encodeURIComponent(next)}` : '/signup');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Instrument').fill(instrument);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByTestId('signed-in-as')).toHaveText(name);
  return email;
}

export async function newPlayerPage(browser: Browser, baseURL: string): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  return context.newPage();
}
