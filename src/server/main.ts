import { setTimeout as delay } from 'node:timers/promises';
import { ConfigError, isLoopbackHost, loadConfig, type LabConfig } from '../config/config.js';
import { createLogger } from '../ops/logger.js';
import { createLab } from './lab.js';

/**
 * `npm start`: parse the config (a bad value stops here, naming the variable), build the
 * lab, listen, and stop gracefully on SIGTERM/SIGINT: stop accepting, end in-flight runs
 * as aborted (recorded), flush, exit within SHUTDOWN_TIMEOUT_SECONDS.
 */
async function main(): Promise<void> {
  let config: LabConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`agent-lab: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  if (!isLoopbackHost(config.host) && !config.labAuthToken && !config.allowInsecureBind) {
    console.error(
      `agent-lab: refusing to listen on ${config.host} without LAB_AUTH_TOKEN: anyone on the network could use your API key. ` +
        'Set LAB_AUTH_TOKEN, or ALLOW_INSECURE_BIND=true if a proxy in front does authentication.',
    );
    process.exit(1);
  }

  const { logger, reopen, flush } = createLogger({ logFile: config.logFile, level: config.logLevel });
  let lab: Awaited<ReturnType<typeof createLab>>;
  try {
    lab = await createLab({ config, logger });
  } catch (error) {
    logger.fatal({ err: error }, 'Agent Lab failed to start');
    flush();
    await delay(50);
    process.exit(1);
  }

  try {
    await lab.app.listen({ port: config.port, host: config.host });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EADDRINUSE' ? 'the port is already in use' : code === 'EACCES' ? 'permission denied for the port' : (error as Error).message;
    logger.fatal({ err: error, host: config.host, port: config.port, reason }, 'Agent Lab failed to listen');
    console.error(`agent-lab: cannot listen on ${config.host}:${config.port}: ${reason}. Set PORT or HOST.`);
    flush();
    await delay(50);
    process.exit(1);
  }
  logger.info(
    { url: config.publicUrl, data_dir: config.dataDir, database: lab.postgres?.displayUrl, provider: config.openRouterBaseUrl, api_key_configured: Boolean(config.openRouterApiKey) },
    'Agent Lab is listening',
  );
  if (config.openRouterBasicAuth !== undefined && config.openRouterApiKey) {
    logger.warn({ provider: config.openRouterBaseUrl }, 'Credentials in OPENROUTER_BASE_URL are not sent: OPENROUTER_API_KEY takes the Authorization header');
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, active_runs: lab.registry.size }, 'Shutting down');
    const deadline = Date.now() + config.shutdownTimeoutSeconds * 1000;
    // Runs first: each is cancelled, recorded as aborted and sends its run-end before the
    // connections close; then the server stops.
    lab.registry.close();
    lab.registry.cancelAll('the lab is shutting down');
    while (lab.registry.size > 0 && Date.now() < deadline - 1000) await delay(10);
    await delay(50); // let the last run-end events reach their sockets
    await Promise.race([lab.app.close(), delay(Math.max(0, deadline - Date.now() - 200))]);
    lab.stopBackground();
    await Promise.race([lab.saveDerivedState(), delay(Math.max(0, deadline - Date.now()))]);
    logger.info('Shutdown complete');
    flush();
    await delay(20);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    reopen();
    lab.reopenLogs();
    logger.info('Log files reopened');
  });
}

void main();
