/**
 * Debian's Firefox ESR for the browser tests that play against Firefox (driven over WebDriver BiDi by
 * puppeteer-core; Playwright's Firefox is a patched build it would download, so it is not used here).
 * Only node: builtins here (setup runs before npm dependencies exist).
 */
import { ensureTool } from './apt.mjs';

export const firefoxPath = process.env.BANDMESH_FIREFOX ?? '/usr/bin/firefox-esr';

/**
 * Preferences for a headless player on loopback: a fake microphone (a tone) without a permission
 * prompt, audio allowed to start, and host candidates on 127.0.0.1 as plain addresses (Firefox leaves
 * loopback out of ICE and hides host addresses behind mDNS names by default; Chromium's flags in
 * chromium.mjs do the same there).
 */
export const firefoxPrefs = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.autoplay.default': 0,
  'media.autoplay.block-webaudio': false,
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
};

/**
 * Firefox ESR and PulseAudio (Firefox's only sound output on a Linux machine without one), installed
 * with apt when missing and running as root; otherwise the command to run.
 */
export async function ensureFirefox() {
  if (!process.env.BANDMESH_FIREFOX) await ensureTool('firefox-esr');
  await ensureTool('pulseaudio');
}
