/**
 * PocketBase as `npm start` runs it is never in its development mode (which logs every SQL statement,
 * password hashes and token keys among them), even where PocketBase would guess `go run` — a binary
 * under the temp directory — and never offers its installer (a superuser token printed in the log).
 * The first superuser comes from `npm run admin -- create EMAIL`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signUp, startPocketBase } from '../support/pocketbase';

const ADMIN_SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'admin.mjs');

describe('PocketBase ready for the internet', () => {
  it('logs no SQL and offers no installer, even started from the temp directory without a superuser', async () => {
    const server = await startPocketBase({
      superuser: false,
      // What PocketBase takes for `go run`: a program under the temp directory.
      argv0: join(tmpdir(), 'bandmesh-pocketbase'),
    });
    try {
      const player = await signUp(server.url, 'Hash Owner');
      expect(player.pb.authStore.isValid).toBe(true);
      const output = server.output();
      expect(output).not.toMatch(/\b(SELECT|INSERT|UPDATE)\b/);
      expect(output).not.toMatch(/pbinstal|superuser upsert|Launch the URL/i);
      expect(output).not.toContain(player.password);
    } finally {
      await server.stop();
    }
  });

  it('makes the first superuser with npm run admin -- create, and refuses a bad address clearly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bandmesh-admin-'));
    try {
      const bad = spawnSync(process.execPath, [ADMIN_SCRIPT, 'create', 'not-an-email', '--dir', dir], {
        encoding: 'utf8',
      });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('"not-an-email" is not an email address');
      const made = spawnSync(
        process.execPath,
        [ADMIN_SCRIPT, 'create', 'owner@bandmesh.test', '--dir', dir],
        {
          encoding: 'utf8',
        },
      );
      expect(made.status, made.stdout + made.stderr).toBe(0);
      expect(made.stdout).toContain('Superuser owner@bandmesh.test is ready');
      const password = /password: (\S{20})/.exec(made.stdout)?.[1];
      expect(password).toBeDefined();
      const server = await startPocketBase({ superuser: false, dataDir: dir });
      try {
        const login = await fetch(`${server.url}/api/collections/_superusers/auth-with-password`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ identity: 'owner@bandmesh.test', password }),
        });
        expect(login.status).toBe(200);
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
