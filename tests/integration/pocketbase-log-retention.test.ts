import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  rejection,
  runPocketBaseToExit,
  signUp,
  startPocketBase,
  superuserClient,
  type RunningPocketBase,
} from '../support/pocketbase';

/**
 * PocketBase's request logs hold IP addresses, so they are kept at most 7 days
 * (pocketbase/internal/logretention): at start from the environment, and against edits through the
 * superuser settings API (what the admin UI calls).
 */
interface LogsSettings {
  logs: { maxDays: number; logIP: boolean };
}

describe('request log retention', () => {
  let server: RunningPocketBase;

  beforeAll(async () => {
    server = await startPocketBase();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('keeps request logs, with IP addresses, 7 days by default', async () => {
    const su = await superuserClient(server.url);
    const { logs } = (await su.settings.getAll()) as LogsSettings;
    expect(logs).toMatchObject({ maxDays: 7, logIP: true });
  });

  it('refuses a superuser edit to keep IP-bearing logs longer, and accepts it without IPs', async () => {
    const su = await superuserClient(server.url);
    const refused = await rejection(su.settings.update({ logs: { maxDays: 30, logIP: true } }));
    expect(refused.status).toBe(400);
    expect(refused.response.message).toBe(
      'Request logs record IP addresses, so Bandmesh keeps them at most 7 days. Lower "Max days retention" to 7 or less, or turn off IP logging.',
    );
    expect(((await su.settings.getAll()) as LogsSettings).logs).toMatchObject({ maxDays: 7, logIP: true });

    const saved = (await su.settings.update({ logs: { maxDays: 30, logIP: false } })) as LogsSettings;
    expect(saved.logs).toMatchObject({ maxDays: 30, logIP: false });
    // Turning IP logging back on with 30 days kept is the same refusal.
    expect((await rejection(su.settings.update({ logs: { logIP: true } }))).status).toBe(400);
    expect(
      ((await su.settings.update({ logs: { maxDays: 3, logIP: true } })) as LogsSettings).logs,
    ).toMatchObject({
      maxDays: 3,
      logIP: true,
    });
  });

  it('lets no player read or change the settings', async () => {
    const player = await signUp(server.url, 'Player');
    expect(
      (await rejection(player.pb.settings.update({ logs: { maxDays: 365, logIP: false } }))).status,
    ).toBe(403);
    expect((await rejection(player.pb.settings.getAll())).status).toBe(403);
  });
});

describe('request log retention from the environment', () => {
  it('refuses to start with IP-bearing logs kept longer than 7 days, saying why', () => {
    const { code, output } = runPocketBaseToExit(['serve', '--http=127.0.0.1:0'], {
      BANDMESH_LOG_MAX_DAYS: '8',
    });
    expect(code).toBe(2);
    expect(output).toContain(
      'BANDMESH_LOG_MAX_DAYS is 8: request logs hold IP addresses, so they are kept at most 7 days (or set BANDMESH_LOG_IP=off)',
    );
  });

  it('keeps logs longer only without IP addresses', async () => {
    const server = await startPocketBase({ env: { BANDMESH_LOG_MAX_DAYS: '30', BANDMESH_LOG_IP: 'off' } });
    try {
      const su = await superuserClient(server.url);
      expect(((await su.settings.getAll()) as LogsSettings).logs).toMatchObject({
        maxDays: 30,
        logIP: false,
      });
    } finally {
      await server.stop();
    }
  });
});
