/**
 * Writes docs/openapi.json from the route table (`npm run docs:openapi`), so the reference
 * is readable without a running lab. A test fails when the committed copy is stale.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildOpenApiDocument } from '../../src/server/openapi/index.js';
import { LAB_VERSION, REPO_ROOT } from '../../src/server/version.js';

const target = path.join(REPO_ROOT, 'docs', 'openapi.json');
writeFileSync(target, `${JSON.stringify(buildOpenApiDocument({ version: LAB_VERSION }), null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), target)}`);
