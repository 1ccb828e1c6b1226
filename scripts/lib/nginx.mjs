/**
 * nginx, the TLS front of the production recipe (docs/production.md): one HTTPS origin for the app,
 * the API and the relay's WebSocket. `ensureNginx` installs Debian's package (as root) and keeps its
 * own service off, like coturn's; `startNginx` runs one instance with deploy/nginx/bandmesh.conf
 * filled in, all its files in a directory of the caller's. Only node: builtins here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aptInstall } from './apt.mjs';
import { info } from './log.mjs';
import { at } from './paths.mjs';
import { startProcess } from './process.mjs';
import { run } from './run.mjs';

const INSTALL_HINT =
  '    sudo apt-get update && sudo apt-get install -y nginx\n' +
  '    sudo systemctl disable --now nginx    # npm run start:https runs its own instance';

/** `nginx` on PATH or in /usr/sbin, else null. */
export function nginxBinary() {
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/sbin', '/usr/bin')) {
    if (dir && existsSync(join(dir, 'nginx'))) return join(dir, 'nginx');
  }
  return null;
}

/**
 * Installs nginx with apt-get when missing and running as root. Otherwise: `required` (start:https)
 * throws with the command to run; setup only mentions it, since plain `npm start` needs no nginx.
 * @param {{ required?: boolean }} [options]
 */
export async function ensureNginx({ required = false } = {}) {
  if (nginxBinary()) return;
  if (process.getuid?.() !== 0) {
    const message = `nginx (the HTTPS front of npm run start:https) is not installed. Install Debian's package:\n${INSTALL_HINT}`;
    if (required) throw new Error(message);
    info(message);
    return;
  }
  await aptInstall('nginx');
  // The package's own service serves a default site on port 80 nobody asked for.
  const quiet = { stdio: /** @type {const} */ ('ignore') };
  const systemd = existsSync('/run/systemd/system');
  if (!systemd && existsSync('/etc/init.d/nginx')) await run('/etc/init.d/nginx', ['stop'], quiet);
  await run('systemctl', ['disable', ...(systemd ? ['--now'] : []), 'nginx.service'], quiet);
  if (!nginxBinary()) throw new Error('apt-get installed nginx but no nginx binary was found.');
}

/**
 * deploy/nginx/bandmesh.conf with its placeholders filled in.
 * @param {{ listen: string, serverName: string, cert: string, key: string, pocketbase: string, relay: string }} site
 */
export function nginxSiteConfig(site) {
  const values = {
    __LISTEN__: site.listen,
    __SERVER_NAME__: site.serverName,
    __CERT__: site.cert,
    __KEY__: site.key,
    __POCKETBASE__: site.pocketbase,
    __RELAY__: site.relay,
  };
  return readFileSync(at('deploy', 'nginx', 'bandmesh.conf'), 'utf8').replace(
    /__[A-Z_]+__/g,
    (name) => values[/** @type {keyof typeof values} */ (name)] ?? name,
  );
}

/**
 * Runs nginx in the foreground with the site, its pid file, temp files and config under `dir`.
 * No access log: PocketBase logs requests (kept 7 days); nginx's error log goes to stderr.
 * @param {{ dir: string, site: Parameters<typeof nginxSiteConfig>[0], quiet?: boolean }} options
 */
export async function startNginx({ dir, site, quiet = false }) {
  const binary = nginxBinary();
  if (!binary) throw new Error(`nginx is not installed:\n${INSTALL_HINT}`);
  mkdirSync(join(dir, 'temp'), { recursive: true });
  writeFileSync(join(dir, 'site.conf'), nginxSiteConfig(site));
  /** @param {string} name */
  const temp = (name) => `${name}_temp_path ${join(dir, 'temp', name)};`;
  const config = [
    'daemon off;',
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    'error_log stderr warn;',
    'events { worker_connections 1024; }',
    'http {',
    '  access_log off;',
    `  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}`,
    `  include ${join(dir, 'site.conf')};`,
    '}',
    '',
  ].join('\n');
  const configFile = join(dir, 'nginx.conf');
  writeFileSync(configFile, config);
  const args = ['-e', 'stderr', '-c', configFile, '-p', dir];
  const test = spawnSync(binary, ['-t', '-q', ...args], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx refused its configuration:\n${test.stderr}`);
  return startProcess({ name: 'nginx', command: binary, args, quiet });
}
