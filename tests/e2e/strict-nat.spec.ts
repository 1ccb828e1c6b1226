/**
 * Strict NAT on real networking: two players whose networks have no route to each other (Linux network
 * namespaces, tests/support/netns.ts) reach only the service address, where this test runs its own
 * stack (PocketBase, relay with its SFU, coturn). Their direct ICE pairs cannot work, so they must
 * connect through TURN; with coturn stopped they must fall back to the SFU. Needs root and `ip netns`;
 * elsewhere the test is skipped with the reason printed.
 */
import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import { printPagesWarnings } from './fixtures';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBenchBuild } from '../../scripts/lib/bench-build.mjs';
import { chromiumArgs } from '../../scripts/lib/chromium.mjs';
import { freeUdpTcpPort } from '../../scripts/lib/coturn.mjs';
import { authInitScript, createStudio, joinStudio, signUpUser } from '../../scripts/lib/pb-rest.mjs';
import { RELIABLE_CHANNEL } from '../../src/lib/protocol/data-channels';
import { startStack } from '../../scripts/lib/stack.mjs';
import {
  createStrictNat,
  listenIn,
  netnsUnavailable,
  removeNetnsLeftovers,
  tcpProbe,
  type PlayerNamespace,
  type StrictNat,
} from '../support/netns';

type Player = Awaited<ReturnType<typeof signUpUser>>;
interface BenchWindow {
  __bandmesh: {
    peerId: string;
    impulses: Array<{ peerId?: string; epochMs: number }>;
    diagnostics(): Array<{ peerId: string; network: string | null; sfuFrames: number }>;
  };
  __meshRoutes(): Promise<string[]>;
}

/**
 * Keeps the page's mesh links (the RTCPeerConnections that open the reliable mesh channel, not the
 * SFU's) and reports the route of each connected one's selected candidate pair ('turn' when either
 * end is a relay candidate): the test's own view of the path, independent of what the app shows.
 */
const meshRouteProbe = `(() => {
  const mesh = new Set();
  const PC = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends PC {
    createDataChannel(label, init) {
      if (label === ${JSON.stringify(RELIABLE_CHANNEL.label)}) mesh.add(this);
      return super.createDataChannel(label, init);
    }
  };
  window.__meshRoutes = async () => {
    const routes = [];
    for (const pc of mesh) {
      if (pc.connectionState !== 'connected') continue;
      const stats = [...(await pc.getStats()).values()];
      const byId = new Map(stats.map((s) => [s.id, s]));
      const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
      const pair = transport && byId.get(transport.selectedCandidatePairId);
      if (!pair) continue;
      const types = [byId.get(pair.localCandidateId), byId.get(pair.remoteCandidateId)].map((c) => c && c.candidateType);
      routes.push(types.includes('relay') ? 'turn' : 'direct');
    }
    return routes;
  };
})();`;

const meshRoutes = (page: Page) => page.evaluate(() => (window as unknown as BenchWindow).__meshRoutes());
/** The network path the page's diagnostics give each other player ('direct', 'turn', 'relay'). */
const networks = (page: Page) =>
  page.evaluate(() => (window as unknown as BenchWindow).__bandmesh.diagnostics().map((row) => row.network));

/** Peer ids this page detected sound from after `sinceMs` (impulse onsets in each peer's decoded stream). */
const heardSince = (page: Page, sinceMs: number) =>
  page.evaluate(
    (since) => [
      ...new Set(
        (window as unknown as BenchWindow).__bandmesh.impulses.flatMap((i) =>
          i.peerId && i.epochMs > since ? [i.peerId] : [],
        ),
      ),
    ],
    sinceMs,
  );

const unavailable = netnsUnavailable();
if (unavailable) console.log(`strict-nat.spec: skipped: ${unavailable}`);

/** What the tests of this file share: one pair of namespaces, one stack, two browsers, two pages. */
interface Rig {
  net: StrictNat;
  dataDir: string;
  listeners: ChildProcess[];
  browsers: Browser[];
  stack: Awaited<ReturnType<typeof startStack>> | null;
  pages: Page[];
  ids: string[];
}

test.describe('strict NAT (network namespaces)', () => {
  test.skip(unavailable !== null, `needs network namespaces: ${unavailable}`);
  test.describe.configure({ mode: 'serial' });
  let rig: Rig | null = null;

  // eslint-disable-next-line no-empty-pattern
  test.afterEach(async ({}, testInfo) => {
    // These pages live in browsers of their own (in the namespaces): the shared fixture cannot see them.
    if (testInfo.status !== testInfo.expectedStatus && rig) await printPagesWarnings(rig.pages);
  });

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    removeNetnsLeftovers();
    rig = {
      net: createStrictNat(),
      dataDir: mkdtempSync(join(tmpdir(), 'bandmesh-strict-nat-')),
      listeners: [],
      browsers: [],
      stack: null,
      pages: [],
      ids: [],
    };
    const { net } = rig;
    const service = net.service;
    const httpPort = await freeUdpTcpPort(service);
    const relayPort = await freeUdpTcpPort(service);
    rig.stack = await startStack({
      host: service,
      httpPort,
      relayPort,
      dataDir: rig.dataDir,
      publicDir: await ensureBenchBuild(),
      env: { BANDMESH_SFU_HOST: service, BANDMESH_REQUIRE_VERIFIED: 'false' },
      quiet: !process.env.BANDMESH_E2E_VERBOSE,
    });
    const baseURL = rig.stack.url;
    const [ada, bo] = await Promise.all([
      signUpUser(baseURL, { name: 'Ada', instrument: 'bass' }),
      signUpUser(baseURL, { name: 'Bo', instrument: 'drums' }),
    ]);
    const slug = `nat-${Date.now().toString(36)}`;
    await createStudio(baseURL, ada, { name: 'Strict NAT', slug });
    await joinStudio(baseURL, bo, slug);

    const origins = [baseURL, `http://${service}:${relayPort}`, `ws://${service}:${relayPort}`];
    const browsers = rig.browsers;
    const open = async (ns: PlayerNamespace, player: Player) => {
      const browser = await chromium.launch({
        executablePath: ns.chromium,
        args: [
          // Loopback candidates would be another namespace's loopback: leave them out.
          ...chromiumArgs.filter((arg: string) => arg !== '--allow-loopback-in-peer-connection'),
          // A plain-http page on a private address is a secure context only when told so
          // (AudioWorklet, getUserMedia).
          `--unsafely-treat-insecure-origin-as-secure=${origins.join(',')}`,
        ],
      });
      browsers.push(browser);
      const context = await browser.newContext({ baseURL });
      await context.addInitScript(authInitScript(player));
      await context.addInitScript(meshRouteProbe);
      const page = await context.newPage();
      await page.goto(`/s/${slug}?bench=1`);
      await page.getByRole('button', { name: 'Start audio' }).click();
      await expect(page.getByTestId('audio-status')).toContainText('On');
      return page;
    };
    rig.pages = [await open(net.players[0], ada), await open(net.players[1], bo)];
    rig.ids = await Promise.all(
      rig.pages.map((p) => p.evaluate(() => (window as unknown as BenchWindow).__bandmesh.peerId)),
    );
  });

  test.afterAll(async () => {
    if (!rig) return;
    await Promise.all(rig.browsers.map((browser) => browser.close().catch(() => undefined)));
    for (const listener of rig.listeners) listener.kill('SIGKILL');
    await rig.stack?.stop();
    rig.net.dispose();
    rmSync(rig.dataDir, { recursive: true, force: true });
    rig = null;
  });

  test("the players' networks have no route to each other", async () => {
    const { net, listeners } = rig!;
    const [a, b] = net.players;
    // The root namespace reaches each listener (so the failure below is not a missing listener);
    // the other player's namespace has no route to it.
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const port = await freeUdpTcpPort('127.0.0.1');
      listeners.push(await listenIn(to.name, to.address, port));
      expect(await tcpProbe(null, to.address, port)).toBe('connected');
      expect(await tcpProbe(from.name, to.address, port)).toBe('ENETUNREACH');
    }
    expect(rig!.stack!.turnUrls.join(' ')).toContain(`turn:${net.service}:`);
  });

  test('they connect through TURN and hear each other', async () => {
    const { pages, ids } = rig!;
    for (const [i, page] of pages.entries()) {
      await expect.poll(() => heardSince(page, 0), { timeout: 30_000 }).toContain(ids[1 - i]);
      // The one mesh link's selected candidate pair has a relay candidate on one end, and the session
      // says the same (PeerLink.iceRoute()).
      await expect.poll(() => meshRoutes(page)).toEqual(['turn']);
      await expect.poll(() => networks(page)).toEqual(['turn']);
    }
  });

  test('the page says the other player is reached via TURN', async () => {
    for (const page of rig!.pages) {
      await expect(page.getByTestId('present-player').getByTestId('audio-route')).toHaveText(['via TURN']);
    }
  });

  test('without TURN they fall back to the SFU and still hear each other', async () => {
    test.setTimeout(150_000);
    const { pages, ids, stack } = rig!;
    // coturn goes away: the relayed link dies, and the players must move to the relay's SFU.
    await stack!.turn!.stop();
    // Frames in flight when coturn stopped may still be detected for a moment.
    const stoppedAt = Date.now() + 2_000;
    for (const [i, page] of pages.entries()) {
      await expect.poll(() => heardSince(page, stoppedAt), { timeout: 90_000 }).toContain(ids[1 - i]);
    }
    // How long the changeover took (failure detection, route request, SFU join), for the record.
    console.log(
      `strict-nat.spec: heard each other through the SFU ${(Date.now() - stoppedAt) / 1000 + 2} s after coturn stopped`,
    );
    for (const page of pages) {
      await expect.poll(() => networks(page)).toEqual(['relay']);
      expect(await meshRoutes(page)).not.toContain('turn');
      await expect(page.getByTestId('present-player').getByTestId('audio-route')).toHaveText(['via relay']);
    }
  });
});
