import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config/config.js';
import { buildOpenApiDocument } from '../../src/server/openapi/index.js';
import { LAB_VERSION } from '../../src/server/version.js';
import { REPO_ROOT } from '../support/start-lab.js';

/** The repository stands alone: its docs are complete, true to the code, and link only inside it. */
const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');

describe('in-repo documentation', () => {
  it('.env.example lists every variable with the default the lab really uses', () => {
    const text = read('.env.example');
    // uncomment every `# NAME=value` line: the file then states every default explicitly
    const stated = parseDotenv(text.replace(/^# ([A-Z_]+=)/gm, '$1'));
    for (const variable of CONFIG_VARIABLES) expect(Object.keys(stated), variable).toContain(variable);
    const withStated = loadConfig({ env: stated, cwd: '/srv/lab', dotenvFile: false });
    const withDefaults = loadConfig({ env: {}, cwd: '/srv/lab', dotenvFile: false });
    expect(withStated).toEqual(withDefaults);
  });

  it('docs/configuration.md describes every variable', () => {
    const text = read('docs/configuration.md');
    for (const variable of CONFIG_VARIABLES) expect(text, variable).toContain(`| \`${variable}\``);
  });

  it('docs/openapi.json is the document the lab serves (run `npm run docs:openapi` after changing a route)', () => {
    expect(JSON.parse(read('docs/openapi.json'))).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument({ version: LAB_VERSION }))));
  });

  it('README.md and docs/ link only to files inside the repository, and those exist', () => {
    const files = ['README.md', 'deploy/README.md', 'tools/local-model/README.md', ...readdirSync(path.join(REPO_ROOT, 'docs')).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`)];
    for (const file of files) {
      for (const match of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!.split('#')[0]!;
        if (/^(https?:|mailto:)/.test(target) || target === '') continue;
        const resolved = path.resolve(REPO_ROOT, path.dirname(file), target);
        expect(resolved.startsWith(REPO_ROOT + path.sep), `${file} links outside the repository: ${target}`).toBe(true);
        expect(existsSync(resolved), `${file} links to a missing file: ${target}`).toBe(true);
      }
    }
    for (const file of files) expect(read(file), file).not.toMatch(/\.\.\/shared|SPEC\.md|playbook-check\.sh|shared repository/);
  });

  it('no source comment cites SPEC.md (a file outside the repository)', () => {
    const offenders: string[] = [];
    for (const root of ['src', 'web/src', 'test', 'bench', 'bin', 'deploy']) {
      for (const file of readdirSync(path.join(REPO_ROOT, root), { recursive: true }).map(String)) {
        if (!/\.(ts|tsx|js|mjs|sh)$/.test(file) || file.endsWith('docs.test.ts')) continue;
        if (/SPEC\.md|shared\/seed/.test(readFileSync(path.join(REPO_ROOT, root, file), 'utf8'))) offenders.push(`${root}/${file}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
