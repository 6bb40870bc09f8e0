import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { LabError } from '../domain/errors.js';
import { isMissingField, REPORT_INPUT } from '../domain/zod-issue.js';
import { openAiErrorBody } from './openai/openai-error.js';
import { routeKind } from './plugins/route-kind.js';

/** A zod error → one sentence naming each field and its rule. */
export function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : 'body';
      if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`;
      if (isMissingField(issue)) return `${field} is required`;
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}

/** Parse `value` with `schema`, or throw a 400 LabError naming the field and the rule. */
export function parseOrThrow<T>(
  schema: { safeParse(value: unknown, params?: typeof REPORT_INPUT): { success: true; data: T } | { success: false; error: ZodError } },
  value: unknown,
  what = 'body',
): T {
  const result = schema.safeParse(value, REPORT_INPUT);
  if (!result.success) throw new LabError('bad_request:body', `Invalid ${what}: ${describeZodError(result.error)}`);
  return result.data;
}

/** Map any thrown value to a LabError (Fastify's own errors keep their 4xx meaning). */
export function toLabError(error: unknown): LabError {
  if (error instanceof LabError) return error;
  if (error instanceof ZodError) return new LabError('bad_request:body', describeZodError(error), { cause: error });
  const fastifyError = error as FastifyError;
  if (fastifyError && typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
    switch (fastifyError.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return new LabError('payload_too_large:body', 'The request body is larger than the limit.', { cause: error });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return new LabError('unsupported_media_type:body', 'Send the body as application/json.', { cause: error });
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return new LabError('bad_request:json', 'The JSON body is empty.', { cause: error });
      default:
        if (fastifyError.statusCode === 429) return new LabError('rate_limit:api', fastifyError.message, { cause: error });
        if (fastifyError.statusCode === 404) return new LabError('not_found:route', fastifyError.message, { cause: error });
        return new LabError(
          fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError ? 'bad_request:json' : 'bad_request:body',
          error instanceof SyntaxError ? `The body is not valid JSON: ${error.message}` : fastifyError.message,
          { cause: error },
        );
    }
  }
  return new LabError('internal:server', 'Something went wrong inside the lab; the error is in the log.', { cause: error });
}

/**
 * The one error handler: logs 5xx with their cause, answers `{ error: { code, message } }`, or
 * OpenAI's error shape on the OpenAI-compatible `/v1/*` routes (what SDKs there parse).
 */
export function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const labError = toLabError(error);
  if (labError.status >= 500 && labError.code === 'internal:server') {
    request.log.error({ err: error, route: request.routeOptions.url }, 'Request failed with an unexpected error');
  }
  if (labError.retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.ceil(labError.retryAfterSeconds)));
  const body = routeKind(request) === 'openai' ? openAiErrorBody(labError) : labError.toJSON();
  return reply.status(labError.status).send(body);
}
