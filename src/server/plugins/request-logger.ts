import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, LevelWithSilentOrString } from 'pino';

/**
 * `request.log` without paying for it on requests that log nothing (nearly all of them):
 * Fastify makes a child logger per request bound to its `request_id`, and a pino child is an
 * object copy plus the bindings serialised through redaction. This child makes the pino
 * child on its first use, so every line of a request still carries `request_id`.
 */
class DeferredChildLogger {
  #child: FastifyBaseLogger | undefined;
  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly childBindings: Bindings,
    private readonly options: ChildLoggerOptions | undefined,
  ) {}

  private real(): FastifyBaseLogger {
    this.#child ??= this.options ? this.parent.child(this.childBindings, this.options) : this.parent.child(this.childBindings);
    return this.#child;
  }

  get level(): LevelWithSilentOrString {
    return this.#child?.level ?? this.options?.level ?? this.parent.level;
  }
  set level(level: LevelWithSilentOrString) {
    this.real().level = level;
  }
  fatal(...args: Parameters<FastifyBaseLogger['fatal']>): void {
    this.real().fatal(...args);
  }
  error(...args: Parameters<FastifyBaseLogger['error']>): void {
    this.real().error(...args);
  }
  warn(...args: Parameters<FastifyBaseLogger['warn']>): void {
    this.real().warn(...args);
  }
  info(...args: Parameters<FastifyBaseLogger['info']>): void {
    this.real().info(...args);
  }
  debug(...args: Parameters<FastifyBaseLogger['debug']>): void {
    this.real().debug(...args);
  }
  trace(...args: Parameters<FastifyBaseLogger['trace']>): void {
    this.real().trace(...args);
  }
  silent(...args: Parameters<FastifyBaseLogger['silent']>): void {
    this.real().silent(...args);
  }
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }
  isLevelEnabled(level: string): boolean {
    return (this.real() as FastifyBaseLogger & { isLevelEnabled(level: string): boolean }).isLevelEnabled(level);
  }
  bindings(): Bindings {
    return (this.real() as FastifyBaseLogger & { bindings(): Bindings }).bindings();
  }
  flush(callback?: (error?: Error) => void): void {
    (this.real() as FastifyBaseLogger & { flush(callback?: (error?: Error) => void): void }).flush(callback);
  }
}

/** Fastify's `childLoggerFactory`: a deferred child (Fastify passes `{}` when the route sets no log options). */
export function requestChildLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  // Fastify sets only these two (a route's logLevel and logSerializers)
  const hasOptions = options.level !== undefined || options.serializers !== undefined;
  return new DeferredChildLogger(logger, bindings, hasOptions ? options : undefined) as unknown as FastifyBaseLogger;
}
