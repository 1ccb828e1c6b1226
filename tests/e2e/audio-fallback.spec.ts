import type { Browser, Page } from '@playwright/test';
import { authInitScript, createStudio, joinStudio, signUpUser } from '../../scripts/lib/pb-rest.mjs';
import { expect, test } from './fixtures';
import { resourceProbe, type LiveResources } from './resource-probe';

type Player = Awaited<ReturnType<typeof signUpUser>>;
interface BenchWindow {
  __bandmesh: {
    peerId: string;
    impulses: Array<{ peerId?: string; epochMs: number }>;
    diagnostics(): Array<{ peerId: string; path: string; receiving: boolean; framesReceived: number }>;
  };
  __live(): LiveResources;
  __pcs: RTCPeerConnection[];
}

/** Keeps the page's RTCPeerConnections reachable, to read the audio track's RTP stats. */
const keepPeerConnections = `(() => {
  const PC = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = class extends PC {
    constructor(...args) { super(...args); window.__pcs.push(this); }
  };
})();`;

/**
 * Audio RTP packets sent per second on the page's live connections (10 ms packets: ~100), timed by the
 * stats' own timestamps: on a loaded machine getStats() can take a second or more to answer, and timing
 * it with the page's clock counted that wait as time without packets (50/s, read as 20 ms packets).
 */
const audioPacketRate = (page: Page) =>
  page.evaluate(async () => {
    const pcs = (window as unknown as BenchWindow).__pcs.filter((pc) => pc.connectionState === 'connected');
    type Sample = { packets: number; at: number };
    const sample = async (pc: RTCPeerConnection): Promise<Sample | null> => {
      let found: Sample | null = null;
      (await pc.getStats()).forEach(
        (s: { type: string; kind?: string; packetsSent?: number; timestamp: number }) => {
          if (s.type === 'outbound-rtp' && s.kind === 'audio')
            found = { packets: (found?.packets ?? 0) + (s.packetsSent ?? 0), at: s.timestamp };
        },
      );
      return found;
    };
    const before = await Promise.all(pcs.map(sample));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = await Promise.all(pcs.map(sample));
    let rate = 0;
    for (const [i, b] of before.entries()) {
      const a = after[i];
      if (b && a && a.at > b.at) rate += (a.packets - b.packets) / ((a.at - b.at) / 1000);
    }
    return rate;
  });

async function openStudio(browser: Browser, baseURL: string, player: Player, slug: string): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  await context.addInitScript(authInitScript(player));
  await context.addInitScript(resourceProbe);
  await context.addInitScript(keepPeerConnections);
  const page = await context.newPage();
  // Both players force the fallback path: a tuned WebRTC audio track per pair.
  await page.goto(`/s/${slug}?bench=1&transport=track`);
  await page.getByRole('button', { name: 'Start audio' }).click();
  await expect(page.getByTestId('audio-status')).toContainText('On');
  return page;
}

const peerIdOf = (page: Page) => page.evaluate(() => (window as unknown as BenchWindow).__bandmesh.peerId);
const heardFrom = (page: Page) =>
  page.evaluate(() =>
    (window as unknown as BenchWindow).__bandmesh.impulses.flatMap((i) => (i.peerId ? [i.peerId] : [])),
  );
const diagnostics = (page: Page) =>
  page.evaluate(() => (window as unknown as BenchWindow).__bandmesh.diagnostics());
const live = (page: Page) => page.evaluate(() => (window as unknown as BenchWindow).__live());

test('two players forced onto the WebRTC track path hear each other and leave nothing behind', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(90_000);
  const [ada, bo] = await Promise.all(
    ['Ada', 'Bo'].map((name) => signUpUser(baseURL!, { name, instrument: 'voice' })),
  );
  const slug = `track-${Date.now().toString(36)}`;
  await createStudio(baseURL!, ada!, { name: 'Fallback', slug });
  await joinStudio(baseURL!, bo!, slug);
  const adaAlone = await openStudio(browser, baseURL!, ada!, slug);
  // What Ada's page holds on its own with audio on (its Workers: audio, recorder): Bo's visit must
  // leave her exactly that.
  const alone = await live(adaAlone);
  expect(alone).toMatchObject({ pcs: 0, contexts: 1 });
  const pages = [adaAlone, await openStudio(browser, baseURL!, bo!, slug)];
  const ids = await Promise.all(pages.map(peerIdOf));

  for (const [i, page] of pages.entries()) {
    const other = ids[1 - i]!;
    // The fake microphone's beeps arrive through the track and are detected as that peer's impulses.
    await expect
      .poll(() => heardFrom(page), {
        timeout: 30_000,
      })
      .toContain(other);
    const [diag] = await diagnostics(page);
    expect(diag).toMatchObject({ peerId: other, path: 'track', receiving: true });
    await expect(page.getByTestId('audio-path')).toHaveText('WebRTC audio track');
    // The munged SDP took effect: Opus goes out in 10 ms packets (20 ms would be ~50 per second).
    expect(await audioPacketRate(page)).toBeGreaterThan(80);
  }

  // Bo leaves: his page keeps no connection, worker or context; Ada keeps only what she had alone.
  const [adaPage, boPage] = pages as [Page, Page];
  await boPage.getByRole('button', { name: 'Leave' }).click();
  await expect(boPage).toHaveURL(/\/$/);
  await expect.poll(() => live(boPage)).toEqual({ pcs: 0, workers: 0, contexts: 0 });
  await expect(adaPage.getByTestId('present-player')).toHaveCount(1);
  await expect.poll(() => diagnostics(adaPage).then((d) => d.length)).toBe(0);
  await expect.poll(() => live(adaPage)).toEqual(alone);
});
