import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPocketBase, type RunningPocketBase } from '../support/pocketbase';

// Shaped like SvelteKit's SPA fallback page: an inline bootstrap script the CSP must allow by hash.
const BOOTSTRAP = `
			{
				__sveltekit_1xyz = { base: "" };
				const element = document.currentScript.parentElement;
				Promise.all([import("./_app/immutable/entry/start.abc.js")]).then(([kit]) => kit.start(element));
			}
		`;
const INDEX = `<!doctype html><html><head><script type="module" src="/_app/x.js"></script></head>
<body><div>bandmesh-spa-fallback<script>${BOOTSTRAP}</script></div></body></html>`;

const hashOf = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

describe('serving the SPA', () => {
  let publicDir: string;
  let server: RunningPocketBase;

  beforeAll(async () => {
    publicDir = mkdtempSync(join(tmpdir(), 'bandmesh-public-'));
    mkdirSync(join(publicDir, '_app', 'immutable', 'entry'), { recursive: true });
    writeFileSync(join(publicDir, 'index.html'), INDEX);
    writeFileSync(join(publicDir, '_app', 'immutable', 'entry', 'start.abc.js'), 'export const start = 1;');
    writeFileSync(join(publicDir, 'robots.txt'), 'User-agent: *');
    server = await startPocketBase({ publicDir, relayUrl: 'wss://relay.bandmesh.test:8443/signal' });
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(publicDir, { recursive: true, force: true });
  });

  it('answers client-side routes with index.html under a strict CSP', async () => {
    const response = await fetch(`${server.url}/settings/profile`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('bandmesh-spa-fallback');

    const csp = response.headers.get('content-security-policy') ?? '';
    const directives = Object.fromEntries(
      csp.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(directives['script-src']).toEqual(["'self'", "'wasm-unsafe-eval'", hashOf(BOOTSTRAP)]);
    expect(directives['connect-src']).toEqual(["'self'", 'wss://relay.bandmesh.test:8443']);
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives['worker-src']).toEqual(["'self'", 'blob:']);

    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(response.headers.get('cross-origin-embedder-policy')).toBeNull();
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it('isolates studio pages for SharedArrayBuffer', async () => {
    const response = await fetch(`${server.url}/s/x`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('bandmesh-spa-fallback');
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  });

  it('serves files, with immutable caching only for hashed assets', async () => {
    const asset = await fetch(`${server.url}/_app/immutable/entry/start.abc.js`);
    expect(asset.status).toBe(200);
    expect(await asset.text()).toBe('export const start = 1;');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');

    const robots = await fetch(`${server.url}/robots.txt`);
    expect(await robots.text()).toBe('User-agent: *');
    expect(robots.headers.get('cache-control')).toBe('no-cache');

    const missing = await fetch(`${server.url}/_app/immutable/entry/gone.js`);
    expect(missing.status).toBe(404);
  });

  it('sends HSTS only when the request came over https', async () => {
    const proxied = await fetch(`${server.url}/`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(proxied.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
    const api = await fetch(`${server.url}/api/health`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(api.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
  });

  it('keeps /api/ out of the fallback and locks API responses down', async () => {
    const unknown = await fetch(`${server.url}/api/not-a-route`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/json');

    const health = await fetch(`${server.url}/api/health`);
    expect(health.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(health.headers.get('x-frame-options')).toBe('DENY');
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('without a built SPA', () => {
  let server: RunningPocketBase;

  beforeAll(async () => {
    server = await startPocketBase({ publicDir: join(tmpdir(), 'bandmesh-no-such-build') });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('says how to build it', async () => {
    const response = await fetch(`${server.url}/s/anything`);
    expect(response.status).toBe(503);
    expect(await response.text()).toContain('npm run build');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });
});
