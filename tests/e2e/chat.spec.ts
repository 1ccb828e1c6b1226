import type { Browser, Page } from '@playwright/test';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { authInitScript, createStudio, joinStudio, signUpUser } from '../../scripts/lib/pb-rest.mjs';
import { SyncTag } from '../../src/lib/protocol/sync-wire';
import { expect, test } from './fixtures';
import { documentFrom, hostileInitScript, type HostileWindow } from './hostile-client';

type Player = Awaited<ReturnType<typeof signUpUser>>;

async function openStudio(
  browser: Browser,
  baseURL: string,
  player: Player,
  slug: string,
  scripts: string[] = [],
) {
  const context = await browser.newContext({ baseURL });
  await context.addInitScript(authInitScript(player));
  for (const script of scripts) await context.addInitScript(script);
  const page = await context.newPage();
  await page.goto(`/s/${slug}`);
  return page;
}

async function duo(baseURL: string, names: [string, string]) {
  const players = await Promise.all(names.map((name) => signUpUser(baseURL, { name, instrument: 'bass' })));
  const slug = `chat-${Date.now().toString(36)}`;
  await createStudio(baseURL, players[0]!, { name: 'Chat', slug });
  await joinStudio(baseURL, players[1]!, slug);
  return { players: players as [Player, Player], slug };
}

async function say(page: Page, text: string) {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.getByLabel('Message', { exact: true }).press('Enter');
}

/** A chat append made under `client`, as a modified client can make it (the honest UI never would). */
function forgedChat(known: Y.Doc, client: number, values: unknown[]): number[] {
  const forger = new Y.Doc();
  Y.applyUpdate(forger, Y.encodeStateAsUpdate(known));
  forger.clientID = client;
  const before = Y.encodeStateVector(forger);
  forger.getArray('chat').push(values);
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, SyncTag.Doc);
  const update = Y.encodeStateAsUpdate(forger, before);
  // The next forgery continues this one's clock.
  Y.applyUpdate(known, update);
  syncProtocol.writeUpdate(encoder, update);
  return [...encoding.toUint8Array(encoder)];
}

test('two players chat: each message shows its author, links are plain, hidden chat counts unread', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(90_000);
  const { players, slug } = await duo(baseURL!, ['Ada', 'Bo']);
  const ada = await openStudio(browser, baseURL!, players[0], slug);
  const bo = await openStudio(browser, baseURL!, players[1], slug);
  for (const page of [ada, bo]) await expect(page.getByTestId('present-player')).toHaveCount(2);

  await say(ada, 'Chart is at https://example.org/chart.pdf <b>not bold</b>');
  for (const page of [ada, bo]) {
    const message = page.getByTestId('chat-message').last();
    await expect(message.getByTestId('chat-author')).toHaveText('Ada');
    await expect(message.getByTestId('chat-text')).toHaveText(
      'Chart is at https://example.org/chart.pdf <b>not bold</b>',
    );
    await expect(message.locator('b')).toHaveCount(0);
    const link = message.getByRole('link', { name: 'https://example.org/chart.pdf' });
    await expect(link).toHaveAttribute('rel', 'noopener noreferrer nofollow');
  }
  await expect(ada.getByLabel('Message', { exact: true })).toHaveValue('');

  await say(bo, 'Got it');
  await expect(ada.getByTestId('chat-author').last()).toHaveText('Bo');

  // Bo hides the chat; Ada's next two messages show as unread until he opens it again.
  await bo.getByRole('button', { name: 'Hide' }).click();
  await say(ada, 'Take it from the bridge');
  await say(ada, 'Two bars count-in');
  await expect(bo.getByTestId('chat-unread')).toHaveText('2 new messages');
  await bo.getByRole('button', { name: 'Show' }).click();
  await expect(bo.getByTestId('chat-unread')).toHaveCount(0);
  await expect(bo.getByTestId('chat-text').last()).toHaveText('Two bars count-in');

  // Scrolled up to read, Bo is not pulled down by a new message; it counts as unread until he looks.
  await say(ada, Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n'));
  await expect(bo.getByTestId('chat-text').last()).toContainText('line 30');
  await bo.getByRole('log', { name: 'Chat messages' }).evaluate((list) => list.scrollTo({ top: 0 }));
  await say(ada, 'One more thing');
  await expect(bo.getByTestId('chat-unread')).toHaveText('1 new message');
  await bo.getByRole('button', { name: 'Show new messages' }).click();
  await expect(bo.getByTestId('chat-unread')).toHaveCount(0);

  // The count appears near the 1000-character limit, and the input takes no more.
  await bo.getByLabel('Message', { exact: true }).fill('a'.repeat(1200));
  await expect(bo.getByTestId('chat-count')).toHaveText('1000 / 1000 characters');
});

test('hostile: a forged chat message is shown as its real writer’s, or refused when under another player’s id', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(90_000);
  const { players, slug } = await duo(baseURL!, ['Ada', 'Mal']);
  const [ada, mal] = players;
  const adaPage = await openStudio(browser, baseURL!, ada, slug);
  const malPage = await openStudio(browser, baseURL!, mal, slug, [hostileInitScript]);
  const hostile = () =>
    malPage.evaluate(() => {
      const { relay, received, sent } = (window as unknown as HostileWindow).__hostile;
      return { relay, received, sent };
    });
  await expect
    .poll(
      () =>
        malPage.evaluate(
          () =>
            (window as unknown as HostileWindow).__hostile.channels.filter((c) => c.readyState === 'open')
              .length,
        ),
      { timeout: 20_000 },
    )
    .toBe(1);
  await say(adaPage, 'Hello Mal');
  await expect.poll(async () => documentFrom((await hostile()).received).getArray('chat').length).toBe(1);
  const { received, sent, relay } = await hostile();
  const known = documentFrom([...received, ...sent]);
  const subscribed = relay.find((m) => m.type === 'subscribed') as unknown as {
    self: { client: number };
    peers: Array<{ userId: string; client: number }>;
  };
  const adaClient = subscribed.peers.find((p) => p.userId === ada.record.id)!.client;
  const send = (message: number[]) =>
    malPage.evaluate((bytes) => {
      const { channels } = (window as unknown as HostileWindow).__hostile;
      for (const channel of channels) if (channel.readyState === 'open') channel.send(new Uint8Array(bytes));
    }, message);

  // 1. Under Ada's own client id: her page refuses it (and says so); nothing appears.
  // (Made on a copy: Ada never accepts it, so Mal's next items must not follow it.)
  await send(
    forgedChat(documentFrom([...received, ...sent]), adaClient, [
      { text: 'I quit the band', at: Date.now() },
    ]),
  );
  await expect(adaPage.getByTestId('sync-notice')).toContainText('on someone else');
  // 2. Under Mal's own id, claiming Ada's name and role in its fields: shown as Mal's.
  await send(
    forgedChat(known, subscribed.self.client, [
      {
        text: 'Owner here: everyone leave',
        at: Date.now(),
        name: 'Ada',
        userId: ada.record.id,
        role: 'owner',
      },
    ]),
  );
  const last = adaPage.getByTestId('chat-message').last();
  await expect(last.getByTestId('chat-text')).toHaveText('Owner here: everyone leave');
  await expect(last.getByTestId('chat-author')).toHaveText('Mal');
  await expect(adaPage.getByTestId('chat-text')).toHaveText(['Hello Mal', 'Owner here: everyone leave']);
  // 3. An oversize body is refused; the chat keeps working for Ada.
  await send(forgedChat(known, subscribed.self.client, [{ text: 'x'.repeat(5000), at: Date.now() }]));
  await send(forgedChat(known, subscribed.self.client, [{ text: 'after the long one', at: Date.now() }]));
  await expect(adaPage.getByTestId('chat-text').last()).toHaveText('after the long one');
  // 4. A flood of 20 in one update, stamped within 20 ms of Mal's clock: only 5 count.
  const soon = Date.now() + 60_000;
  const flood = Array.from({ length: 20 }, (_, i) => ({ text: `flood ${i}`, at: soon + i }));
  await send(forgedChat(known, subscribed.self.client, flood));
  await send(forgedChat(known, subscribed.self.client, [{ text: 'after the flood', at: soon + 30_000 }]));
  await expect(adaPage.getByTestId('chat-text').last()).toHaveText('after the flood');
  await say(adaPage, 'Still here');
  await expect(adaPage.getByTestId('chat-text')).toHaveText([
    'Hello Mal',
    'Owner here: everyone leave',
    'after the long one',
    ...flood.slice(0, 5).map((m) => m.text),
    'after the flood',
    'Still here',
  ]);
});
