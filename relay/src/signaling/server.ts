/**
 * The relay's network front: one HTTP server carrying `/healthz`, `POST /control` (PocketBase's
 * membership changes) and the signaling WebSocket (`/signal`, and `/` for stock y-webrtc clients),
 * the set of live connections with their caps, and the heartbeat.
 *
 * `close()` is the shutdown cascade: stop accepting, close every socket with 1001, terminate the
 * ones that do not finish their closing handshake in time, then release the port. It is idempotent.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ErrorCode } from '../../../src/lib/protocol/errors.js';
import { RELAY_CONTROL_PATH } from '../../../src/lib/protocol/relay-control.js';
import { SIGNALING_MAX_FRAME_BYTES, SignalingClose } from '../../../src/lib/protocol/signaling.js';
import { createResumeTokens } from '../auth/resume-token.js';
import type { TicketVerifier } from '../auth/ticket-verifier.js';
import type { RelayConfig } from '../config.js';
import { applyControl } from '../control/apply-control.js';
import { createControlEndpoint } from '../control/control-endpoint.js';
import { MembershipOverrides } from '../control/membership-overrides.js';
import { createQueryVerifier } from '../control/query-auth.js';
import { clientAddress } from '../limits/client-address.js';
import { ConnectionCaps } from '../limits/connection-caps.js';
import type { Logger } from '../log.js';
import { LoadMeter } from '../sfu/load-meter.js';
import { SfuService } from '../sfu/sfu-service.js';
import { RelayClose } from './close-codes.js';
import { Connection } from './connection.js';
import { createHttpHandler, requestPath, type RelayStats } from './http-health.js';
import { RoomRegistry } from './rooms.js';

const REFUSAL_LOG_INTERVAL_MS = 10_000;

export const SIGNALING_PATHS: ReadonlySet<string> = new Set(['/signal', '/']);

export interface RelayServerOptions {
  config: RelayConfig;
  verifier: TicketVerifier;
  logger: Logger;
  heartbeatIntervalMs?: number;
  /** A socket that has not answered a ping for this long is terminated. */
  heartbeatTimeoutMs?: number;
  /** How long `close()` waits for clients to finish the closing handshake. */
  closeGraceMs?: number;
  maxBufferedBytes?: number;
  maxErrorsPerSecond?: number;
}

export interface RelayServer {
  /** Starts listening on the configured host and port; resolves with the real address. */
  listen(): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
  stats(): RelayStats;
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  const body = JSON.stringify({ ok: false, error: text.toLowerCase().replace(/ /g, '-') });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export function createRelayServer(options: RelayServerOptions): RelayServer {
  const { config, verifier, logger } = options;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 10_000;
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 20_000;
  const closeGraceMs = options.closeGraceMs ?? 2_000;
  const limits = {
    maxMessagesPerSecond: config.maxMessagesPerSecond,
    burstMessages: config.burstMessages,
    maxVisitsPerUser: config.maxVisitsPerUser,
    subscribeTimeoutMs: config.subscribeTimeoutMs,
    maxBufferedBytes: options.maxBufferedBytes ?? 4 * 1024 * 1024,
    maxErrorsPerSecond: options.maxErrorsPerSecond ?? 5,
    resumeGraceMs: config.resumeGraceMs,
    // Without the SFU every room is a mesh, which the mesh limit bounds.
    roomCap: config.sfu ? config.roomLimit : Math.min(config.roomLimit, config.meshLimit),
  };
  const resumeTokens = createResumeTokens({ secret: config.ticketSecret });

  // The registry tells the SFU of every membership change; the SFU is created right below.
  const rooms = new RoomRegistry<Connection>(Date.now, (topic) => sfu.roomChanged(topic));
  const sfu: SfuService<Connection> = new SfuService<Connection>({
    settings: {
      enabled: config.sfu,
      meshLimit: config.meshLimit,
      meshHysteresis: config.meshHysteresis,
      network: { host: config.sfuHost, portMin: config.sfuPortMin, portMax: config.sfuPortMax },
    },
    rooms,
    logger,
  });
  const loadMeter = new LoadMeter();
  const overrides = new MembershipOverrides();
  const caps = new ConnectionCaps(config);
  const connections = new Set<Connection>();
  let nextId = 1;
  let heartbeat: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;

  const stats = (): RelayStats => ({ connections: connections.size, topics: rooms.roomCount });
  const health = createHttpHandler({
    stats,
    load: () => ({
      relayId: config.relayId,
      rooms: rooms.roomCount,
      peers: rooms.peerCount,
      sfuPeers: sfu.forwarder.endpointCount,
      elu: loadMeter.utilisation,
      forwarded: sfu.forwarder.stats.forwarded,
      bundles: sfu.forwarder.stats.bundles,
      dropped: { ...sfu.forwarder.stats.dropped },
    }),
    roomPeers: (studioId) => rooms.forStudio(studioId)?.size ?? null,
    allRooms: () => rooms.studioSeats(),
    verify: createQueryVerifier(config.ticketSecret),
  });
  const control = createControlEndpoint({
    secret: config.ticketSecret,
    logger,
    apply: (message) => applyControl(message, rooms, overrides, sfu),
  });
  const http: Server = createServer((request, response) =>
    requestPath(request.url) === RELAY_CONTROL_PATH ? control(request, response) : health(request, response),
  );
  // maxPayload makes ws close an oversized message with 1009 before buffering it whole;
  // compression stays off so a small frame cannot inflate into a large one.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: SIGNALING_MAX_FRAME_BYTES,
    perMessageDeflate: false,
  });

  // Refusals are logged at most once per interval, with a count: a connection storm must not become
  // a log storm.
  let refusedSinceLog = 0;
  let lastRefusalLogAt = -Infinity;
  const noteRefusal = (cap: string): void => {
    refusedSinceLog += 1;
    const now = performance.now();
    if (now - lastRefusalLogAt < REFUSAL_LOG_INTERVAL_MS) return;
    logger.warn('connections-refused', { code: ErrorCode.TooManyConnections, cap, count: refusedSinceLog });
    refusedSinceLog = 0;
    lastRefusalLogAt = now;
  };

  const accept = (socket: WebSocket, request: IncomingMessage): void => {
    const slot = caps.acquire(clientAddress(request, config.trustedProxyHeader));
    if (!slot.ok) {
      // Refused after the upgrade, so the client gets a reason it can show instead of a bare failure.
      // The socket is not a Connection: it holds no slot and is dropped if it ignores the close.
      noteRefusal(slot.reason);
      socket.on('error', () => undefined);
      socket.send(
        JSON.stringify({
          type: 'error',
          code: ErrorCode.TooManyConnections,
          message:
            slot.reason === 'total'
              ? 'The relay is serving as many connections as it can; try again in a minute.'
              : 'Too many connections from your network address; close some tabs and try again.',
        }),
      );
      socket.close(RelayClose.TryAgainLater, 'too many connections');
      setTimeout(() => socket.terminate(), closeGraceMs).unref();
      return;
    }
    const connection = new Connection({
      id: `c${nextId++}`,
      socket,
      rooms,
      verifier,
      resumeTokens,
      overrides,
      sfu,
      limits,
      logger,
      onClosed: (closed) => {
        connections.delete(closed);
        slot.release();
      },
    });
    connections.add(connection);
    logger.info('connection-opened', { connection: connection.id });
  };

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (closing) {
      refuseUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    const path = requestPath(request.url);
    if (path === null || !SIGNALING_PATHS.has(path)) {
      refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (config.allowedOrigins) {
      const origin = request.headers.origin;
      if (origin === undefined || !config.allowedOrigins.has(origin)) {
        logger.info('origin-refused');
        refuseUpgrade(socket, 403, 'Forbidden');
        return;
      }
    }
    wss.handleUpgrade(request, socket, head, accept);
  });
  http.on('clientError', (_error, socket: Duplex) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const tick = (): void => {
    for (const connection of [...connections]) connection.heartbeat(heartbeatTimeoutMs);
  };

  const listen = (): Promise<{ host: string; port: number }> =>
    new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      http.once('error', onError);
      http.listen(config.port, config.host, () => {
        http.off('error', onError);
        http.on('error', (error: Error & { code?: string }) =>
          logger.error('http-error', { code: error.code ?? 'unknown' }),
        );
        heartbeat = setInterval(tick, heartbeatIntervalMs);
        heartbeat.unref();
        const address = http.address();
        const port = typeof address === 'object' && address ? address.port : config.port;
        resolve({ host: config.host, port });
      });
    });

  const shutdown = async (): Promise<void> => {
    clearInterval(heartbeat);
    const httpClosed = new Promise<void>((resolve) => {
      if (!http.listening) resolve();
      else http.close(() => resolve());
    });
    for (const connection of connections) connection.close(SignalingClose.GoingAway, 'relay shutting down');
    const deadline = Date.now() + closeGraceMs;
    while (connections.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const connection of [...connections]) {
      connection.terminate();
      connection.dispose();
    }
    sfu.dispose();
    loadMeter.dispose();
    rooms.clear();
    wss.close();
    http.closeAllConnections();
    await httpClosed;
  };

  return {
    listen,
    stats,
    close: () => (closing ??= shutdown()),
  };
}
