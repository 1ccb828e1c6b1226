/**
 * What the SFU specs share: players' pages on the bench build, what they hear, and the relay's
 * signed control that pins a room's mode (tests/support/sfu-player.ts).
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from '@playwright/test';
import { authInitScript, createStudio, joinStudio, signUpUser } from '../../scripts/lib/pb-rest.mjs';
import type { RoomModeSetting } from '../../src/lib/protocol/relay-control';
import { forceRoomMode } from '../support/sfu-player';
import { expect } from './fixtures';
import { E2E_ENV } from './global-setup';
import { resourceProbe, type LiveResources } from './resource-probe';

export type Player = Awaited<ReturnType<typeof signUpUser>>;

export interface DiagnosticsRow {
  peerId: string;
  network: 'direct' | 'turn' | 'relay' | null;
  framesReceived: number;
  sfuFrames: number;
  framesDecoded: number;
  duplicateFrames: number;
  longestGapMs: number;
  gapsOver20ms: number;
  underruns: number;
  frameSamples: number | null;
  lateFrames: number;
  concealedFrames: number;
}

interface BenchWindow {
  __bandmesh: {
    peerId: string | null;
    impulses: Array<{ peerId?: string; epochMs: number }>;
    diagnostics(): DiagnosticsRow[];
    route(): { mode: 'mesh' | 'sfu' | null; phase: string };
  };
}

/** Signs up `names`, the first creates a studio, the others join it. */
export async function studioWith(baseURL: string, names: string[], prefix: string) {
  const players = await Promise.all(names.map((name) => signUpUser(baseURL, { name, instrument: 'keys' })));
  const slug = `${prefix}-${Date.now().toString(36)}`;
  const studio = (await createStudio(baseURL, players[0]!, { name: prefix, slug })) as { id: string };
  for (const player of players.slice(1)) await joinStudio(baseURL, player, slug);
  return { players, slug, studioId: studio.id };
}

/** A player's studio page with audio started (the fake microphone beeps). */
export async function openStudio(browser: Browser, baseURL: string, player: Player, slug: string) {
  const context = await browser.newContext({ baseURL });
  await context.addInitScript(authInitScript(player));
  await context.addInitScript(resourceProbe);
  const page = await context.newPage();
  await page.goto(`/s/${slug}?bench=1`);
  await page.getByRole('button', { name: 'Start audio' }).click();
  await expect(page.getByTestId('audio-status')).toContainText('On');
  return page;
}

export const peerIdOf = (page: Page) =>
  page.evaluate(() => (window as unknown as BenchWindow).__bandmesh.peerId);

/** Peer ids this page detected sound from after `since` (epoch ms). */
export const heardSince = (page: Page, since: number) =>
  page.evaluate(
    (t) => [
      ...new Set(
        (window as unknown as BenchWindow).__bandmesh.impulses.flatMap((i) =>
          i.peerId && i.epochMs > t ? [i.peerId] : [],
        ),
      ),
    ],
    since,
  );

/** Live RTCPeerConnections, Workers and AudioContexts of a page (resource-probe.ts). */
export const live = (page: Page) =>
  page.evaluate(() => (window as unknown as { __live(): LiveResources }).__live());

export const diagnostics = (page: Page) =>
  page.evaluate(() => (window as unknown as BenchWindow).__bandmesh.diagnostics());

export const routeOf = (page: Page) =>
  page.evaluate(() => (window as unknown as BenchWindow).__bandmesh.route());

/** Pins the studio's live room to `mode` through the relay's signed control. */
export async function forceMode(studioId: string, mode: RoomModeSetting): Promise<void> {
  const relay = process.env[E2E_ENV.RelayHttpUrl];
  const secretFile = process.env[E2E_ENV.TicketSecretFile];
  if (!relay || !secretFile) throw new Error('global-setup did not export the relay URL and secret file');
  const reply = await forceRoomMode(relay, readFileSync(secretFile, 'utf8').trim(), studioId, mode);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
}

/** Every page has finished changing over to `mode` (its phase settled on it). */
export async function settledOn(pages: Page[], mode: 'mesh' | 'sfu', timeout = 30_000): Promise<void> {
  for (const page of pages) {
    await expect.poll(async () => (await routeOf(page)).phase, { timeout }).toBe(mode);
  }
}
