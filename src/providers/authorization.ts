/**
 * The `Authorization` header for the provider: the API key as a Bearer token, else the
 * credentials that came in the base URL's userinfo as HTTP Basic auth (a proxy in front of
 * a self-hosted server), else none.
 */
export function authorizationHeader(options: { apiKey: string | undefined; basicAuth: string | undefined }): string | undefined {
  if (options.apiKey) return `Bearer ${options.apiKey}`;
  if (options.basicAuth !== undefined) return `Basic ${Buffer.from(options.basicAuth, 'utf8').toString('base64')}`;
  return undefined;
}
