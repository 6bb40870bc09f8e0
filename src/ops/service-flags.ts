import { existsSync, stat } from 'node:fs';
import type { Logger } from './logger.js';

/**
 * Read-only and maintenance modes, switched by flag files (docs/runbook.md): the
 * files are polled with `stat`, so touching or removing one takes effect within `pollMs`
 * without a restart. Reads of the current mode are synchronous and free.
 */
export interface ServiceFlags {
  /** True while the READ_ONLY_MODE flag file exists: writes are refused. */
  readOnly(): boolean;
  /** True while the MAINTENANCE_MODE flag file exists: pages and the API answer 503. */
  maintenance(): boolean;
  /** Check both files now (tests and the CLI); the poller does this on its own. */
  refresh(): void;
  /** Stop polling. */
  close(): void;
}

interface FlagWatch {
  name: 'read_only' | 'maintenance';
  file: string;
  on: boolean;
  checking: boolean;
  onMessage: string;
  offMessage: string;
}

/** Watch the two flag files; logs a WARN sentence when a mode turns on and INFO when it turns off. */
export function createServiceFlags(options: {
  readOnlyFlag: string;
  maintenanceFlag: string;
  pollMs?: number;
  logger?: Logger;
}): ServiceFlags {
  const { readOnlyFlag, maintenanceFlag, pollMs = 250, logger } = options;
  const watches: FlagWatch[] = [
    {
      name: 'read_only',
      file: readOnlyFlag,
      on: existsSync(readOnlyFlag),
      checking: false,
      onMessage: 'Read-only mode is on: writes are refused',
      offMessage: 'Read-only mode is off: writes are accepted again',
    },
    {
      name: 'maintenance',
      file: maintenanceFlag,
      on: existsSync(maintenanceFlag),
      checking: false,
      onMessage: 'Maintenance mode is on: pages and the API answer 503',
      offMessage: 'Maintenance mode is off: pages and the API are served again',
    },
  ];
  for (const watch of watches) {
    if (watch.on) logger?.warn({ flag: watch.file, mode: watch.name }, watch.onMessage);
  }

  const apply = (watch: FlagWatch, present: boolean) => {
    if (present === watch.on) return;
    watch.on = present;
    if (present) logger?.warn({ flag: watch.file, mode: watch.name }, watch.onMessage);
    else logger?.info({ flag: watch.file, mode: watch.name }, watch.offMessage);
  };

  const poll = () => {
    for (const watch of watches) {
      // one stat in flight per file: a slow disk must not pile up callbacks
      if (watch.checking) continue;
      watch.checking = true;
      stat(watch.file, (error) => {
        watch.checking = false;
        if (error === null) return apply(watch, true);
        const code = (error as NodeJS.ErrnoException).code;
        // any other error (EACCES on the directory) says nothing about the file: keep the mode
        if (code === 'ENOENT' || code === 'ENOTDIR') apply(watch, false);
      });
    }
  };

  const timer = setInterval(poll, pollMs);
  timer.unref();

  const [readOnlyWatch, maintenanceWatch] = watches as [FlagWatch, FlagWatch];
  return {
    readOnly: () => readOnlyWatch.on,
    maintenance: () => maintenanceWatch.on,
    refresh: () => {
      for (const watch of watches) apply(watch, existsSync(watch.file));
    },
    close: () => clearInterval(timer),
  };
}
