import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, ENV, loadConfig } from './config.js';

const SECRET = 'a'.repeat(64);
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'relay-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configError(env: Record<string, string>, waitMs = 0): Promise<ConfigError> {
  const error = await loadConfig({ env, secretFileWaitMs: waitMs, pollIntervalMs: 10 }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('loadConfig', () => {
  it('applies defaults', async () => {
    const config = await loadConfig({ env: { [ENV.Secret]: SECRET } });
    expect(config).toEqual({
      host: '127.0.0.1',
      port: 8091,
      ticketSecret: SECRET,
      maxMessagesPerSecond: 50,
      burstMessages: 100,
      allowedOrigins: null,
      maxConnections: 2000,
      maxConnectionsPerIp: 32,
      trustedProxyHeader: null,
      subscribeTimeoutMs: 5000,
      maxVisitsPerUser: 2,
      resumeGraceMs: 10_000,
      meshLimit: 6,
      meshHysteresis: 1,
      roomLimit: 24,
      relayId: 'relay-1',
      sfu: true,
      sfuHost: '127.0.0.1',
      sfuPortMin: 0,
      sfuPortMax: 0,
    });
  });

  it('reads every variable', async () => {
    const config = await loadConfig({
      env: {
        [ENV.Host]: '0.0.0.0',
        [ENV.Port]: '0',
        [ENV.Secret]: SECRET,
        [ENV.MaxMessagesPerSecond]: '20',
        [ENV.MaxConnections]: '100',
        [ENV.MaxConnectionsPerIp]: '10',
        [ENV.SubscribeTimeoutMs]: '1500',
        [ENV.MaxVisitsPerUser]: '1',
        [ENV.ResumeGraceMs]: '0',
        [ENV.AllowedOrigins]: 'https://jam.example.org, http://localhost:5173/',
      },
    });
    expect(config).toMatchObject({ host: '0.0.0.0', port: 0, maxMessagesPerSecond: 20, burstMessages: 40 });
    expect(config).toMatchObject({
      maxConnections: 100,
      maxConnectionsPerIp: 10,
      subscribeTimeoutMs: 1500,
      maxVisitsPerUser: 1,
      resumeGraceMs: 0,
    });
    expect([...(config.allowedOrigins ?? [])]).toEqual(['https://jam.example.org', 'http://localhost:5173']);
  });

  it.each([
    [ENV.Port, '65536'],
    [ENV.Port, '80a'],
    [ENV.Port, '-1'],
    [ENV.MaxMessagesPerSecond, '0'],
    [ENV.MaxMessagesPerSecond, '1.5'],
    [ENV.MaxConnections, '0'],
    [ENV.MaxConnections, 'lots'],
    [ENV.MaxConnectionsPerIp, '0'],
    [ENV.SubscribeTimeoutMs, '50'],
    [ENV.SubscribeTimeoutMs, '5s'],
    [ENV.MaxVisitsPerUser, '0'],
    [ENV.MaxVisitsPerUser, '7'],
    [ENV.ResumeGraceMs, '120001'],
    [ENV.ResumeGraceMs, '-5'],
    [ENV.ResumeGraceMs, '10s'],
    [ENV.AllowedOrigins, 'jam.example.org'],
    [ENV.AllowedOrigins, 'https://jam.example.org/path'],
    [ENV.AllowedOrigins, ' , '],
  ])('names %s when it is %j', async (variable, value) => {
    const error = await configError({ [ENV.Secret]: SECRET, [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
  });

  it('requires a secret and refuses a short one', async () => {
    expect((await configError({})).message).toMatch(/BANDMESH_TICKET_SECRET.*required/);
    expect((await configError({ [ENV.Secret]: 'short' })).message).toMatch(/at least 32/);
  });

  it('prefers the variable over the file, as PocketBase does', async () => {
    const config = await loadConfig({ env: { [ENV.Secret]: SECRET, [ENV.SecretFile]: join(dir, 'absent') } });
    expect(config.ticketSecret).toBe(SECRET);
  });

  it('reads and trims the secret file', async () => {
    const file = join(dir, 'secret');
    await writeFile(file, `${SECRET}\n`);
    expect((await loadConfig({ env: { [ENV.SecretFile]: file } })).ticketSecret).toBe(SECRET);
  });

  it('waits for a secret file that appears late', async () => {
    const file = join(dir, 'late');
    const later = setTimeout(() => void writeFile(file, SECRET), 100);
    try {
      const config = await loadConfig({
        env: { [ENV.SecretFile]: file },
        secretFileWaitMs: 5000,
        pollIntervalMs: 20,
      });
      expect(config.ticketSecret).toBe(SECRET);
    } finally {
      clearTimeout(later);
    }
  });

  it('fails clearly when the secret file never appears or stays empty', async () => {
    const missing = await configError({ [ENV.SecretFile]: join(dir, 'never') }, 50);
    expect(missing.variable).toBe(ENV.SecretFile);
    expect(missing.message).toMatch(/does not exist/);
    const empty = join(dir, 'empty');
    await writeFile(empty, '\n');
    expect((await configError({ [ENV.SecretFile]: empty }, 50)).message).toMatch(/is empty/);
  });
});
