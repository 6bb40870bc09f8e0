import { z } from 'zod';
import { openAiErrorBodySchema } from '../openai/openai-error.js';
import { API_ROUTES, API_TAGS, errorBodySchema } from './api-routes.js';
import type { ResponseDoc, RouteDoc, RouteDocs } from './route-doc.js';

/** JSON Schema (draft 2020-12) as produced by zod. */
type JsonSchema = Record<string, unknown>;

/** The parts of an OpenAPI 3.1 document this lab emits. */
export interface OpenApiDocument {
  openapi: '3.1.0';
  jsonSchemaDialect: string;
  info: { title: string; version: string; description: string };
  tags: { name: string }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
  security: Record<string, string[]>[];
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: { name: string; in: 'path' | 'query'; required: boolean; schema: JsonSchema; description?: string }[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
  security?: Record<string, string[]>[];
}

const DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** A zod schema as JSON Schema 2020-12 (the `$schema` key dropped: the document names the dialect once). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** `/api/agents/:id` → `/api/agents/{id}`. */
export function openApiPath(fastifyPath: string): string {
  return fastifyPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** `GET /api/runs/:id/cancel` → `getApiRunsIdCancel`. */
function operationId(method: string, fastifyPath: string): string {
  const words = fastifyPath.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method.toLowerCase() + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}

function parameters(doc: RouteDoc): NonNullable<OpenApiOperation['parameters']> {
  const result: NonNullable<OpenApiOperation['parameters']> = [];
  for (const [location, schema] of [['path', doc.params], ['query', doc.query]] as const) {
    if (!schema) continue;
    const object = jsonSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, property] of Object.entries(object.properties ?? {})) {
      result.push({ name, in: location, required: location === 'path' || (object.required ?? []).includes(name), schema: property });
    }
  }
  return result;
}

function response(doc: ResponseDoc): OpenApiOperation['responses'][string] {
  if (doc.mediaType) return { description: doc.description, content: { [doc.mediaType]: { schema: { type: 'string' } } } };
  if (doc.schema) return { description: doc.description, content: { 'application/json': { schema: jsonSchema(doc.schema, 'output') } } };
  return { description: doc.description };
}

const errorResponse = (schema: 'Error' | 'OpenAiError') => ({ description: '', content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } } });

function operation(method: string, fastifyPath: string, doc: RouteDoc): OpenApiOperation {
  const openAi = fastifyPath.startsWith('/v1/');
  // /v1/* answers errors in OpenAI's shape
  const ERROR_RESPONSE = errorResponse(openAi ? 'OpenAiError' : 'Error');
  const responses: OpenApiOperation['responses'] = {};
  for (const [status, entry] of Object.entries(doc.responses ?? { 200: { description: 'OK (JSON)' } })) responses[status] = response(entry);
  if (doc.params || doc.query || doc.body) responses['400'] ??= { ...ERROR_RESPONSE, description: 'Invalid input; the message names the field' };
  if (fastifyPath.startsWith('/api/') || openAi) {
    if (!doc.open) responses['401'] ??= { ...ERROR_RESPONSE, description: 'LAB_AUTH_TOKEN is set and the request does not carry it' };
    responses['429'] ??= { ...ERROR_RESPONSE, description: 'Rate limited (Retry-After says when to try again)' };
    responses['503'] ??= { ...ERROR_RESPONSE, description: 'Maintenance mode, or read-only mode for a write (Retry-After)' };
  }
  const parameterList = parameters(doc);
  return {
    operationId: operationId(method, fastifyPath),
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: [doc.tag],
    ...(parameterList.length > 0 ? { parameters: parameterList } : {}),
    ...(doc.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(doc.body, 'input') } } } } : {}),
    responses,
    ...(doc.open ? { security: [] } : {}),
  };
}

/** Build the OpenAPI 3.1 document of `routes` (the lab's own table by default). */
export function buildOpenApiDocument(options: { version: string; routes?: RouteDocs }): OpenApiDocument {
  const routes = options.routes ?? API_ROUTES;
  const paths: OpenApiDocument['paths'] = {};
  for (const [key, doc] of Object.entries(routes)) {
    const [method, fastifyPath] = splitRouteKey(key);
    (paths[openApiPath(fastifyPath)] ??= {})[method.toLowerCase()] = operation(method, fastifyPath, doc);
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: DIALECT,
    info: {
      title: 'Agent Lab API',
      version: options.version,
      description:
        'JSON unless stated. Errors are {"error": {"code", "message", "retryable"}}. With LAB_AUTH_TOKEN set, send it as "Authorization: Bearer <token>" (or sign in for a cookie) on every route but the open ones.',
    },
    tags: API_TAGS.filter((tag) => Object.values(routes).some((doc) => doc.tag === tag)).map((name) => ({ name })),
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBodySchema, 'output'), OpenAiError: jsonSchema(openAiErrorBodySchema, 'output') },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'LAB_AUTH_TOKEN' } },
    },
    security: [{ bearer: [] }],
  };
}

/** `'GET /api/agents'` → `['GET', '/api/agents']`. */
export function splitRouteKey(key: string): [string, string] {
  const space = key.indexOf(' ');
  return [key.slice(0, space), key.slice(space + 1)];
}
