/**
 * The production recipe on loopback (docs/production.md): nginx terminates TLS for ONE origin and
 * proxies / to PocketBase and /signal to the relay; coturn also speaks TURN over TLS (turns:) with
 * the same certificate. PocketBase and the relay listen on loopback only and trust the proxy's
 * X-Forwarded-For, so rate limits and connection caps stay per player. Used by npm run start:https
 * and tests/integration/https-recipe.test.ts.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpTcpPort, startCoturn } from './coturn.mjs';
import { startNginx } from './nginx.mjs';
import { startStack } from './stack.mjs';
import { ensureSelfSignedCert } from './tls-cert.mjs';

const HOST = '127.0.0.1';

/**
 * @param {{ httpsPort: number, httpPort: number, relayPort: number, dataDir: string, publicDir?: string,
 *   turnPort?: number, turnTlsPort?: number, env?: Record<string, string>, quiet?: boolean }} options
 */
export async function startHttpsStack({
  httpsPort,
  httpPort,
  relayPort,
  dataDir,
  publicDir,
  turnPort = 0,
  turnTlsPort = 0,
  env = {},
  quiet = false,
}) {
  const { cert, key } = await ensureSelfSignedCert(dataDir);
  const url = `https://${HOST}:${httpsPort}`;
  const coturn = await startCoturn({
    host: HOST,
    port: turnPort || (await freeUdpTcpPort(HOST)),
    dataDir,
    quiet,
    tls: { port: turnTlsPort || (await freeUdpTcpPort(HOST)), cert, key },
  });
  // nginx's workers run unprivileged when started as root: their directory must be theirs to enter,
  // and it stays out of the data dir (which holds the secrets).
  const nginxDir = mkdtempSync(join(tmpdir(), 'bandmesh-nginx-'));
  chmodSync(nginxDir, 0o755);
  /** @type {Awaited<ReturnType<typeof startStack>> | null} */
  let stack = null;
  /** @type {import('./process.mjs').ManagedProcess | null} */
  let nginx = null;
  const stop = async () => {
    await Promise.all([nginx?.stop(), stack?.stop(), coturn.process.stop()]);
    rmSync(nginxDir, { recursive: true, force: true });
  };
  try {
    stack = await startStack({
      host: HOST,
      httpPort,
      relayPort,
      turn: false,
      dataDir,
      ...(publicDir ? { publicDir } : {}),
      quiet,
      appUrl: url,
      env: {
        BANDMESH_RELAY_URL: `wss://${HOST}:${httpsPort}/signal`,
        BANDMESH_TURN_URLS: coturn.urls.join(','),
        BANDMESH_TURN_SECRET_FILE: coturn.secretFile,
        BANDMESH_TRUSTED_PROXY_HEADER: 'X-Forwarded-For',
        BANDMESH_RELAY_TRUSTED_PROXY_HEADER: 'X-Forwarded-For',
        BANDMESH_RELAY_ALLOWED_ORIGINS: url,
        ...env,
      },
    });
    nginx = await startNginx({
      dir: nginxDir,
      site: {
        listen: `${HOST}:${httpsPort}`,
        serverName: 'localhost',
        cert,
        key,
        pocketbase: `${HOST}:${httpPort}`,
        relay: `${HOST}:${relayPort}`,
      },
      quiet,
    });
    await waitForHttps(`${url}/api/health`, readFileSync(cert), nginx);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    relayUrl: `wss://${HOST}:${httpsPort}/signal`,
    /** The self-signed certificate (PEM path) clients must trust. */
    cert,
    turnUrls: coturn.urls,
    /** The local mail catcher's inbox (null: BANDMESH_SMTP_HOST names a real server). */
    inboxUrl: stack.inboxUrl,
    dataDir,
    processes: [...stack.processes, coturn.process, nginx],
    stop,
  };
}

/**
 * @param {string} url
 * @param {Buffer} ca
 * @param {import('./process.mjs').ManagedProcess} proc
 */
async function waitForHttps(url, ca, proc, timeoutMs = 15_000) {
  let exited = false;
  void proc.exited.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (!exited && Date.now() < deadline) {
    const status = await new Promise((resolve) => {
      const req = request(url, { ca, timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', () => resolve(0));
      req.on('timeout', () => req.destroy());
      req.end();
    });
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    exited ? `nginx exited before ${url} answered` : `${url} did not answer within ${timeoutMs} ms`,
  );
}
