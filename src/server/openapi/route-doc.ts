import type { z } from 'zod';

/** One documented response of a route: what it means and, when JSON, its shape. */
export interface ResponseDoc {
  description: string;
  /** A zod schema of the JSON body (converted with `z.toJSONSchema`). */
  schema?: z.ZodType;
  /** A media type other than JSON (`text/event-stream`, `text/csv`, `text/html`). */
  mediaType?: string;
}

/**
 * The documentation of one HTTP route, next to the zod schemas the route parses with, so the
 * reference cannot drift from the validation. Keys of the registry are `METHOD /path` in
 * Fastify's syntax (`/api/agents/:id`).
 */
export interface RouteDoc {
  summary: string;
  /** A longer explanation (markdown-free plain text). */
  description?: string;
  /** Groups the route in the reference (`agents`, `chat`, `operations` ...). */
  tag: string;
  /** The path parameters' object schema. */
  params?: z.ZodObject;
  /** The query string's object schema. */
  query?: z.ZodObject;
  /** The JSON body schema. */
  body?: z.ZodType;
  /** Status → response; the common error answers (400, 401, 429, 503) are added for `/api/*`. */
  responses?: Record<number, ResponseDoc>;
  /** True for routes that answer without LAB_AUTH_TOKEN (monitoring, the stream test, sign-in). */
  open?: boolean;
}

/** `METHOD /path` → its documentation. */
export type RouteDocs = Record<string, RouteDoc>;
