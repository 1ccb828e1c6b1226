/**
 * The relay's configuration, read from the environment once at start and validated. Every problem
 * is a {@link ConfigError} naming the variable and what it expects; main.ts exits with code 2 on it.
 */
import { readFile } from 'node:fs/promises';
import { MESH_MAX_PLAYERS, ROOM_MAX_PLAYERS, ROOM_PLAYERS_CAP } from '../../src/lib/protocol/ticket.js';

export const ENV = {
  Host: 'BANDMESH_RELAY_HOST',
  Port: 'BANDMESH_RELAY_PORT',
  Secret: 'BANDMESH_TICKET_SECRET',
  SecretFile: 'BANDMESH_TICKET_SECRET_FILE',
  MaxMessagesPerSecond: 'BANDMESH_RELAY_MAX_MESSAGES_PER_SECOND',
  AllowedOrigins: 'BANDMESH_RELAY_ALLOWED_ORIGINS',
  MaxConnections: 'BANDMESH_RELAY_MAX_CONNECTIONS',
  MaxConnectionsPerIp: 'BANDMESH_RELAY_MAX_CONNECTIONS_PER_IP',
  TrustedProxyHeader: 'BANDMESH_RELAY_TRUSTED_PROXY_HEADER',
  SubscribeTimeoutMs: 'BANDMESH_RELAY_SUBSCRIBE_TIMEOUT_MS',
  MaxVisitsPerUser: 'BANDMESH_RELAY_MAX_VISITS_PER_USER',
  ResumeGraceMs: 'BANDMESH_RELAY_RESUME_GRACE_MS',
  MeshLimit: 'BANDMESH_MESH_LIMIT',
  MeshHysteresis: 'BANDMESH_MESH_HYSTERESIS',
  RoomLimit: 'BANDMESH_ROOM_LIMIT',
  RelayId: 'BANDMESH_RELAY_ID',
  SfuEnabled: 'BANDMESH_SFU',
  SfuHost: 'BANDMESH_SFU_HOST',
  SfuPortMin: 'BANDMESH_SFU_PORT_MIN',
  SfuPortMax: 'BANDMESH_SFU_PORT_MAX',
} as const;

/** Longest resume grace: a suspended seat holds its place in a full room, so it must stay short. */
export const MAX_RESUME_GRACE_MS = 120_000;

/**
 * Same floor as PocketBase (32 hex characters = 128 bits): shorter HMAC secrets could be guessed
 * offline from one captured ticket. The key is the UTF-8 bytes of the trimmed text, never hex-decoded.
 */
export const MIN_SECRET_LENGTH = 32;

export interface RelayConfig {
  host: string;
  /** 0 means "any free port"; the relay logs the real one. */
  port: number;
  /** The HS256 secret shared with PocketBase. Never log it. */
  ticketSecret: string;
  maxMessagesPerSecond: number;
  /** Token-bucket burst: twice the rate. */
  burstMessages: number;
  /** Allowed `Origin` values (scheme://host[:port]); `null` accepts any origin. */
  allowedOrigins: ReadonlySet<string> | null;
  /** WebSocket connections the relay holds at once, in total and per remote address. */
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Header a reverse proxy on loopback names the client's address in (limits/client-address.ts); null: none. */
  trustedProxyHeader: string | null;
  /** A socket that has not joined a studio this long after opening is closed. */
  subscribeTimeoutMs: number;
  /** Live connections one user may hold in one studio (tabs, devices). */
  maxVisitsPerUser: number;
  /**
   * How long the seat of a socket that dropped without an unsubscribe waits for a resume before the
   * others hear `peer-left` (`disconnected`); 0 announces the drop at once.
   */
  resumeGraceMs: number;
  /** Rooms with more players than this use the SFU. */
  meshLimit: number;
  /** A room on the SFU goes back to the mesh only at `meshLimit - meshHysteresis` players or fewer. */
  meshHysteresis: number;
  /** Most players one room holds (a ticket's `maxPlayers` is clamped to it). */
  roomLimit: number;
  /** This relay's id: tickets naming another relay are refused (`wrong-relay`). */
  relayId: string;
  /** Whether this relay forwards audio (SFU); off, rooms stay on the mesh and cap at the mesh limit. */
  sfu: boolean;
  /** Address the SFU's ICE binds to and offers (defaults to `host`), and its UDP port range. */
  sfuHost: string;
  sfuPortMin: number;
  sfuPortMax: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** How long to wait for a secret file that does not exist yet (PocketBase writes it on first start). */
  secretFileWaitMs?: number;
  pollIntervalMs?: number;
}

function nonEmpty(env: LoadConfigOptions['env'], name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(
  env: LoadConfigOptions['env'],
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `expected an integer from ${min} to ${max}, got ${JSON.stringify(raw)}.`);
  }
  return value;
}

function origins(env: LoadConfigOptions['env']): ReadonlySet<string> | null {
  const raw = nonEmpty(env, ENV.AllowedOrigins);
  if (raw === undefined) return null;
  const result = new Set<string>();
  for (const entry of raw.split(',')) {
    const candidate = entry.trim();
    if (candidate === '') continue;
    let origin: string | null = null;
    try {
      const url = new URL(candidate);
      if (
        (url.protocol === 'http:' || url.protocol === 'https:') &&
        url.origin === candidate.replace(/\/$/, '')
      ) {
        origin = url.origin;
      }
    } catch {
      origin = null;
    }
    if (origin === null) {
      throw new ConfigError(
        ENV.AllowedOrigins,
        `expected a comma-separated list of origins like https://jam.example.org, got ${JSON.stringify(candidate)}.`,
      );
    }
    result.add(origin);
  }
  if (result.size === 0) {
    throw new ConfigError(ENV.AllowedOrigins, 'is set but names no origin; unset it to accept any origin.');
  }
  return result;
}

function checkSecret(variable: string, secret: string): string {
  if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_LENGTH) {
    throw new ConfigError(
      variable,
      `the ticket secret must be at least ${MIN_SECRET_LENGTH} characters long.`,
    );
  }
  return secret;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function readSecretFile(path: string, waitMs: number, pollMs: number): Promise<string> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const secret = (await readFile(path, 'utf8')).trim();
      // PocketBase may have created the file but not written it yet: treat empty like missing.
      if (secret !== '') return checkSecret(ENV.SecretFile, secret);
      if (Date.now() >= deadline) {
        throw new ConfigError(ENV.SecretFile, `the file ${path} is empty; it should hold the ticket secret.`);
      }
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        throw new ConfigError(ENV.SecretFile, `cannot read ${path} (${code ?? 'unknown error'}).`);
      }
      if (Date.now() >= deadline) {
        throw new ConfigError(
          ENV.SecretFile,
          `the file ${path} does not exist (waited ${Math.round(waitMs / 1000)} s for PocketBase to create it).`,
        );
      }
    }
    await sleep(pollMs);
  }
}

export async function loadConfig(options: LoadConfigOptions): Promise<RelayConfig> {
  const { env } = options;
  const host = nonEmpty(env, ENV.Host) ?? '127.0.0.1';
  const port = integer(env, ENV.Port, 8091, 0, 65535);
  const maxMessagesPerSecond = integer(env, ENV.MaxMessagesPerSecond, 50, 1, 100_000);
  const allowedOrigins = origins(env);
  const maxConnections = integer(env, ENV.MaxConnections, 2000, 1, 1_000_000);
  const maxConnectionsPerIp = integer(env, ENV.MaxConnectionsPerIp, 32, 1, 1_000_000);
  const trustedProxyHeader = nonEmpty(env, ENV.TrustedProxyHeader) ?? null;
  if (trustedProxyHeader !== null && !/^[A-Za-z0-9-]{1,64}$/.test(trustedProxyHeader)) {
    throw new ConfigError(
      ENV.TrustedProxyHeader,
      `expected one header name such as X-Forwarded-For, got ${JSON.stringify(trustedProxyHeader)}.`,
    );
  }
  const subscribeTimeoutMs = integer(env, ENV.SubscribeTimeoutMs, 5000, 100, 600_000);
  const maxVisitsPerUser = integer(env, ENV.MaxVisitsPerUser, 2, 1, MESH_MAX_PLAYERS);
  const resumeGraceMs = integer(env, ENV.ResumeGraceMs, 10_000, 0, MAX_RESUME_GRACE_MS);
  const meshLimit = integer(env, ENV.MeshLimit, MESH_MAX_PLAYERS, 1, ROOM_PLAYERS_CAP);
  const meshHysteresis = integer(env, ENV.MeshHysteresis, 1, 0, meshLimit - 1);
  const roomLimit = integer(env, ENV.RoomLimit, ROOM_MAX_PLAYERS, 1, ROOM_PLAYERS_CAP);
  const relayId = nonEmpty(env, ENV.RelayId) ?? 'relay-1';
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(relayId)) {
    throw new ConfigError(ENV.RelayId, `expected 1–32 of a–z, 0–9 and '-', got ${JSON.stringify(relayId)}.`);
  }
  const sfuFlag = nonEmpty(env, ENV.SfuEnabled) ?? 'on';
  if (sfuFlag !== 'on' && sfuFlag !== 'off') {
    throw new ConfigError(ENV.SfuEnabled, `expected "on" or "off", got ${JSON.stringify(sfuFlag)}.`);
  }
  const sfuHost = nonEmpty(env, ENV.SfuHost) ?? host;
  const sfuPortMin = integer(env, ENV.SfuPortMin, 0, 0, 65535);
  const sfuPortMax = integer(env, ENV.SfuPortMax, 0, 0, 65535);
  if (sfuPortMin > sfuPortMax) {
    throw new ConfigError(ENV.SfuPortMax, `must not be below ${ENV.SfuPortMin} (${sfuPortMin}).`);
  }

  const inline = nonEmpty(env, ENV.Secret);
  const file = nonEmpty(env, ENV.SecretFile);
  // Same precedence as PocketBase (the variable wins over the file), so one environment shared by
  // both processes always gives them the same key.
  let ticketSecret: string;
  if (inline !== undefined) {
    ticketSecret = checkSecret(ENV.Secret, inline);
  } else if (file !== undefined) {
    ticketSecret = await readSecretFile(
      file,
      options.secretFileWaitMs ?? 10_000,
      options.pollIntervalMs ?? 200,
    );
  } else {
    throw new ConfigError(
      ENV.Secret,
      `a ticket secret is required: set ${ENV.Secret}, or ${ENV.SecretFile} to the file PocketBase writes.`,
    );
  }

  return {
    host,
    port,
    ticketSecret,
    maxMessagesPerSecond,
    burstMessages: maxMessagesPerSecond * 2,
    allowedOrigins,
    maxConnections,
    maxConnectionsPerIp,
    trustedProxyHeader,
    subscribeTimeoutMs,
    maxVisitsPerUser,
    resumeGraceMs,
    meshLimit,
    meshHysteresis,
    roomLimit,
    relayId,
    sfu: sfuFlag === 'on',
    sfuHost,
    sfuPortMin,
    sfuPortMax,
  };
}
