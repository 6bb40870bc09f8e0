import type { Logger } from './logger.js';

/** Anything with a log file that logrotate may move: the app log, the access log. */
export interface Reopenable {
  reopen(): void;
}

/** Reopen every log file now (what SIGHUP does), logging the outcome. */
export function reopenLogs(options: { targets: readonly Reopenable[]; logger: Logger }): void {
  for (const target of options.targets) {
    try {
      target.reopen();
    } catch (error) {
      options.logger.error({ err: error }, 'Log file reopen failed');
    }
  }
  options.logger.info({ files: options.targets.length }, 'Log files reopened');
}

/**
 * Reopen the log files on SIGHUP (logrotate's `postrotate kill -HUP`). Returns a function
 * that removes the handler. The lead's main.ts calls it once, after the server starts.
 */
export function installLogReopen(options: { targets: readonly Reopenable[]; logger: Logger; signal?: NodeJS.Signals }): () => void {
  const signal = options.signal ?? 'SIGHUP';
  const handler = () => reopenLogs(options);
  process.on(signal, handler);
  return () => {
    process.off(signal, handler);
  };
}
