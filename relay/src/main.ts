/**
 * The relay's composition root: configuration, logger, ticket verifier and server are created here
 * and nowhere else. Exit codes: 0 after a requested shutdown, 1 on a runtime failure, 2 on bad
 * configuration, 128+n when a second signal cuts a graceful shutdown short.
 */
import { createTicketVerifier } from './auth/ticket-verifier.js';
import { ConfigError, loadConfig, type RelayConfig } from './config.js';
import { createLogger } from './log.js';
import { createRelayServer } from './signaling/server.js';

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGTERM: 15 };
/** If a graceful shutdown has not finished by then, something is stuck: give up loudly. */
const SHUTDOWN_DEADLINE_MS = 5_000;

async function main(): Promise<void> {
  const logger = createLogger();
  let config: RelayConfig;
  try {
    config = await loadConfig({ env: process.env });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`bandmesh-relay: invalid configuration: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }

  const server = createRelayServer({
    config,
    verifier: createTicketVerifier({
      secret: config.ticketSecret,
      relayId: config.relayId,
      roomLimit: config.roomLimit,
    }),
    logger,
  });

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn('shutdown-forced', { signal });
      process.exit(128 + (SIGNAL_NUMBERS[signal] ?? 0));
    }
    stopping = true;
    logger.info('shutting-down', { signal });
    setTimeout(() => {
      logger.error('shutdown-timeout');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    server.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error('shutdown-failed', { error: error instanceof Error ? error.name : 'unknown' });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const { host, port } = await server.listen();
    const urlHost = host.includes(':') ? `[${host}]` : host;
    logger.info('listening', {
      host,
      port,
      signalUrl: `ws://${urlHost}:${port}/signal`,
      healthUrl: `http://${urlHost}:${port}/healthz`,
      maxMessagesPerSecond: config.maxMessagesPerSecond,
      maxConnections: config.maxConnections,
      maxConnectionsPerIp: config.maxConnectionsPerIp,
      subscribeTimeoutMs: config.subscribeTimeoutMs,
      maxVisitsPerUser: config.maxVisitsPerUser,
      resumeGraceMs: config.resumeGraceMs,
      originCheck: config.allowedOrigins !== null,
      relayId: config.relayId,
      loadUrl: `http://${urlHost}:${port}/load`,
      meshLimit: config.meshLimit,
      meshHysteresis: config.meshHysteresis,
      roomLimit: config.roomLimit,
      sfu: config.sfu,
      sfuHost: config.sfu ? config.sfuHost : undefined,
      sfuPorts: config.sfu ? `${config.sfuPortMin}-${config.sfuPortMax}` : undefined,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    process.stderr.write(`bandmesh-relay: cannot listen on ${config.host}:${config.port} (${code}).\n`);
    process.exit(1);
  }
}

await main();
