import type { FastifyInstance, FastifyRequest } from 'fastify';
import { routeKind } from './route-kind.js';

/**
 * Logs input that looks hostile — script tags, SQL meta-sequences, path traversal — at WARN
 * as `possible injection attempt` with its kind, so the security playbook's
 * `grep -i "sql\|xss\|injection"` finds it. It never blocks: the lab stores text verbatim and
 * renders it safely, and people legitimately paste code into prompts.
 */
export type InjectionKind = 'xss' | 'sql' | 'path_traversal';

export interface InjectionFinding {
  kind: InjectionKind;
  /** Where: `url`, `query.name`, `params.id`, `body.message`, ... */
  location: string;
  /** The matching fragment, shortened. */
  match: string;
}

const PATTERNS: Record<InjectionKind, RegExp> = {
  xss: /<\s*script\b|<\s*iframe\b|javascript\s*:|\bon(?:error|load|click|mouseover|focus)\s*=/i,
  sql: /'\s*(?:or|and)\s+'?\w+'?\s*=\s*'?\w+|\bunion\s+(?:all\s+)?select\b|;\s*(?:drop|truncate|alter)\s+(?:table|database)\b|;\s*delete\s+from\b|'\s*;?\s*--/i,
  path_traversal: /(?:^|[\\/])\.\.(?:[\\/]|$)|%2e%2e(?:%2f|%5c|\/)/i,
};
/** Body fields that name things (ids, paths): path traversal is checked only there. */
const IDENTIFIER_KEY = /(?:^|_)(?:id|path|file|filename|dir)$/i;
const MAX_STRINGS = 500;
const MAX_SCAN = 20_000;

function excerpt(text: string, pattern: RegExp): string {
  const found = pattern.exec(text);
  if (!found) return '';
  const start = Math.max(0, found.index - 10);
  return text.slice(start, found.index + found[0].length + 10).replace(/[\r\n\t]+/g, ' ').slice(0, 80);
}

function decodeTwice(text: string): string {
  let decoded = text;
  for (let round = 0; round < 2; round += 1) {
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      return decoded;
    }
  }
  return decoded;
}

/** Findings in one value, one per kind at most. */
export function scanText(text: string, options: { location: string; traversal: boolean }): InjectionFinding[] {
  const sample = text.length > MAX_SCAN ? text.slice(0, MAX_SCAN) : text;
  const findings: InjectionFinding[] = [];
  for (const kind of ['xss', 'sql', 'path_traversal'] as const) {
    if (kind === 'path_traversal' && !options.traversal) continue;
    const pattern = PATTERNS[kind];
    if (pattern.test(sample)) findings.push({ kind, location: options.location, match: excerpt(sample, pattern) });
  }
  return findings;
}

/**
 * A URL none of whose characters any pattern needs cannot match: every pattern needs `<`, `:`,
 * `=`, `'`, `;`, whitespace (`+` decodes to a space) or `..`, and their encoded forms start
 * with `%`. Most URLs (`/api/agents`, `/assets/index-3f2a.js`) are cleared by this one test.
 */
const URL_MAY_MATCH = /[%+<>'";:=\\\s]|\.\./;

/** Findings in the URL (path and query, decoded). */
export function scanUrl(url: string): InjectionFinding[] {
  if (!URL_MAY_MATCH.test(url)) return [];
  return scanText(decodeTwice(url.replace(/\+/g, ' ')), { location: 'url', traversal: true });
}

/** Findings in a parsed body, params or query object (strings only, bounded). */
export function scanValue(value: unknown, location: string): InjectionFinding[] {
  const findings: InjectionFinding[] = [];
  let budget = MAX_STRINGS;
  const walk = (node: unknown, where: string, key: string, depth: number) => {
    if (budget <= 0 || depth > 8) return;
    if (typeof node === 'string') {
      budget -= 1;
      findings.push(...scanText(node, { location: where, traversal: IDENTIFIER_KEY.test(key) }));
    } else if (Array.isArray(node)) {
      node.forEach((item, index) => walk(item, `${where}[${index}]`, key, depth + 1));
    } else if (node !== null && typeof node === 'object') {
      for (const [childKey, child] of Object.entries(node)) walk(child, `${where}.${childKey}`, childKey, depth + 1);
    }
  };
  walk(value, location, location, 0);
  return findings;
}

export function registerInjectionDetector(app: FastifyInstance): void {
  const report = (request: FastifyRequest, findings: InjectionFinding[]) => {
    const seen = new Set<InjectionKind>();
    for (const finding of findings) {
      if (seen.has(finding.kind)) continue;
      seen.add(finding.kind);
      request.log.warn(
        { kind: finding.kind, location: finding.location, match: finding.match, method: request.method, route: request.routeOptions.url ?? 'unmatched' },
        'possible injection attempt',
      );
    }
  };
  // the URL before anything can refuse the request: probes without a token are logged too;
  // not on monitoring routes (`/health*`, `/metrics*`), which take no input
  app.addHook('onRequest', (request, _reply, done) => {
    if (routeKind(request) !== 'monitoring') {
      const findings = scanUrl(request.url);
      if (findings.length > 0) report(request, findings);
    }
    done();
  });
  app.addHook('preValidation', (request, _reply, done) => {
    // the login body holds the token: it is never inspected, so never logged
    if (routeKind(request) !== 'auth' && request.body !== undefined && request.body !== null) {
      const findings = scanValue(request.body, 'body');
      if (findings.length > 0) report(request, findings);
    }
    done();
  });
}
