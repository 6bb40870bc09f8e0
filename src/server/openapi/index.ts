/** The API reference: the route table, the OpenAPI 3.1 document built from it, and its page. */
export { API_ROUTES, API_TAGS } from './api-routes.js';
export type { ResponseDoc, RouteDoc, RouteDocs } from './route-doc.js';
export { buildOpenApiDocument, openApiPath, splitRouteKey, type OpenApiDocument } from './openapi-document.js';
export { renderDocsPage } from './docs-page.js';
export { registeredRoutes, trackRoutes, type RegisteredRoute } from './route-tracker.js';
