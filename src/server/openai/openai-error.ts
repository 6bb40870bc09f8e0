import { z } from 'zod';
import type { LabError } from '../../domain/errors.js';

/** OpenAI's error body: `{"error": {"message", "type", "code", "param"}}` (documented in the API reference). */
export const openAiErrorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string().describe('invalid_request_error, requests (429) or server_error'),
    code: z.string().describe("OpenAI's name where one exists (invalid_api_key, model_not_found, rate_limit_exceeded), else the lab code with _ for :"),
    param: z.string().nullable().describe('the request field at fault, for 400'),
  }),
});
export type OpenAiErrorBody = z.output<typeof openAiErrorBodySchema>;

/** Lab codes whose OpenAI counterpart SDKs and clients recognise by name. */
const OPENAI_CODES: Partial<Record<LabError['code'], string>> = {
  'unauthorized:auth': 'invalid_api_key',
  'not_found:model': 'model_not_found',
  'rate_limit:api': 'rate_limit_exceeded',
};

/** OpenAI's error `type` for an HTTP status. */
function errorType(status: number): string {
  if (status === 429) return 'requests';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/**
 * A LabError in OpenAI's shape, for `/v1/*`: the status stays the lab's, `code` is OpenAI's
 * name where one exists (`invalid_api_key`, `model_not_found`, `rate_limit_exceeded`), else the
 * lab's code with `_` for `:` (`read_only_store`, `provider_unavailable`).
 */
export function openAiErrorBody(error: LabError, options: { param?: string | null } = {}): OpenAiErrorBody {
  return {
    error: {
      message: error.message,
      type: errorType(error.status),
      code: OPENAI_CODES[error.code] ?? error.code.replace(':', '_'),
      param: options.param ?? null,
    },
  };
}
