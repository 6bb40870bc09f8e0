/**
 * Operations: health checks, metrics and SLOs, read-only/maintenance flags, logging (app log,
 * access log, reopen on SIGHUP), and the observer hooks the runner and providers report to.
 */
export { createAccessLog, formatAccessLine, type AccessEntry, type AccessLog } from './access-log.js';
export { createHealth, type BasicHealth, type DetailedHealth, type LabHealth } from './health.js';
export { installLogReopen, reopenLogs, type Reopenable } from './log-reopen.js';
export { createLogger, formatLogLine, type LabLogger, type Logger } from './logger.js';
export { createLabMetrics, isMonitoringRoute, SLO_TARGETS, type HttpEvent, type LabMetrics, type LabMetricsJson } from './metrics.js';
export { noopProviderObserver, noopRunObserver, type ProviderObserver, type RunObserver } from './observers.js';
export { createServiceFlags, type ServiceFlags } from './service-flags.js';
