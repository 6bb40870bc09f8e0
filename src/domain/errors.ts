/**
 * Every error the lab reports, in one registry: a stable code, the HTTP status it maps to,
 * and whether the client may retry. Codes are shaped `type:surface`.
 */
export const ERROR_CODES = {
  'bad_request:body': { status: 400, retryable: false },
  'bad_request:id': { status: 400, retryable: false },
  'bad_request:json': { status: 400, retryable: false },
  'bad_request:eval_file': { status: 400, retryable: false },
  'unauthorized:auth': { status: 401, retryable: false },
  'not_found:agent': { status: 404, retryable: false },
  'not_found:session': { status: 404, retryable: false },
  'not_found:run': { status: 404, retryable: false },
  'not_found:route': { status: 404, retryable: false },
  'not_found:model': { status: 404, retryable: false },
  'payload_too_large:body': { status: 413, retryable: false },
  'unsupported_media_type:body': { status: 415, retryable: false },
  'rate_limit:api': { status: 429, retryable: true },
  'rate_limit:auth': { status: 429, retryable: true },
  'read_only:store': { status: 503, retryable: true },
  'maintenance:service': { status: 503, retryable: true },
  'unavailable:store': { status: 503, retryable: true },
  'shutting_down:service': { status: 503, retryable: true },
  'provider:auth': { status: 502, retryable: false },
  'provider:credits': { status: 502, retryable: false },
  'provider:moderation': { status: 502, retryable: false },
  'provider:bad_request': { status: 502, retryable: false },
  'provider:timeout': { status: 504, retryable: true },
  'provider:rate_limit': { status: 503, retryable: true },
  'provider:unavailable': { status: 503, retryable: true },
  'provider:stream': { status: 502, retryable: true },
  'provider:network': { status: 502, retryable: true },
  'provider:invalid_response': { status: 502, retryable: true },
  'provider:circuit_open': { status: 503, retryable: true },
  'provider:local_model': { status: 500, retryable: false },
  'internal:server': { status: 500, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The one error type of the lab: a stable code, a message for the user, and the cause kept. */
export class LabError extends Error {
  override readonly name = 'LabError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  /** Seconds a client should wait before trying again, when known. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryAfterSeconds?: number; retryable?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The wire shape `{ error: { code, message } }`. */
  toJSON(): { error: { code: string; message: string; retryable: boolean } } {
    return { error: { code: this.code, message: this.message, retryable: this.retryable } };
  }
}

/** True when `value` is a LabError (across module copies too). */
export function isLabError(value: unknown): value is LabError {
  return value instanceof LabError;
}
