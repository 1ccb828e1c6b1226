import { existsSync } from 'node:fs';
import { step } from './log.mjs';
import { mustRun } from './run.mjs';

export const chromiumPath = process.env.BANDMESH_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for Debian's Chromium on this kind of machine: headless, fake media, loopback WebRTC. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/**
 * Debian's Chromium drives the browser tests (Playwright never downloads a browser here).
 * As root it is installed with apt; otherwise the exact command is printed.
 */
export async function ensureChromium() {
  if (existsSync(chromiumPath)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `Chromium is missing at ${chromiumPath}. Install Debian's package, then run npm test again:\n` +
        '    sudo apt-get update && sudo apt-get install -y chromium\n' +
        '(or point BANDMESH_CHROMIUM at another Chromium binary).',
    );
  }
  step("Installing Debian's chromium (apt-get)");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await mustRun('apt-get', ['update', '-qq'], { env });
  await mustRun('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { env });
}
