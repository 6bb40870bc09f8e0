import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import type { LabConfig } from '../../config/config.js';

/**
 * `agent-lab release`: copy the built checkout into a versioned, self-contained release
 * directory `<into>/<version>-<YYYYMMDDHHMMSS>` (UTC) that `deploy/rollout.sh` switches the
 * `current` link to. A release holds package.json, package-lock.json, dist/, web/dist/,
 * bin/, deploy/, models/ (when present), release.json and the production dependencies.
 */

/** The checkout this CLI runs from (three levels above dist/cli/commands). */
const CHECKOUT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Why a release could not be built; `usage` failures exit 2 (not built, bad options), others 1. */
export class ReleaseError extends Error {
  override readonly name = 'ReleaseError';
  constructor(
    message: string,
    readonly kind: 'usage' | 'failed',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ReleaseResult {
  name: string;
  path: string;
  version: string;
  createdAt: string;
  commit: string | undefined;
  dependencies: 'copied' | 'npm-ci';
  packages: number;
  bytes: number;
  /** Set when the sources are newer than the build in dist/. */
  staleBuild: boolean;
}

interface LockPackage {
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  link?: boolean;
}

/** `20261130160126` in UTC. */
export function releaseTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * The `node_modules/...` paths of the production tree, from package-lock.json: every
 * package not marked `dev` (optional ones only when installed, as npm does).
 */
export function productionPackages(options: { lockfile: string }): { required: string[]; optional: string[] } {
  let lock: { lockfileVersion?: number; packages?: Record<string, LockPackage> };
  try {
    lock = JSON.parse(readFileSync(options.lockfile, 'utf8')) as typeof lock;
  } catch (error) {
    throw new ReleaseError(`Could not read ${options.lockfile}: ${(error as Error).message}`, 'usage', { cause: error });
  }
  if (!lock.packages) throw new ReleaseError(`${options.lockfile} has no "packages" (lockfile version 2 or 3 is needed; run npm install with npm 7 or newer)`, 'usage');
  const required: string[] = [];
  const optional: string[] = [];
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith('node_modules/') || entry.dev || entry.link) continue;
    if (entry.optional || entry.devOptional) optional.push(key);
    else required.push(key);
  }
  return { required, optional };
}

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const info = statSync(target);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(target)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    newest = Math.max(newest, newestMtime(path.join(target, entry)));
  }
  return newest;
}

async function directorySize(target: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(target, { withFileTypes: true })) {
    const full = path.join(target, entry.name);
    if (entry.isDirectory()) total += await directorySize(full);
    else if (entry.isFile()) total += (await stat(full)).size;
  }
  return total;
}

function gitCommit(root: string): string | undefined {
  if (!existsSync(path.join(root, '.git'))) return undefined;
  const result = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', timeout: 5000 });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** Build a release from the checkout at `root` into `into`. */
export async function buildRelease(options: {
  root?: string;
  into: string;
  npmCi?: boolean;
  now?: Date;
  onProgress?: (message: string) => void;
}): Promise<ReleaseResult> {
  const { root = CHECKOUT_ROOT, into, npmCi = false, now = new Date(), onProgress = () => {} } = options;
  for (const required of ['package.json', 'package-lock.json', 'bin/agent-lab.js', 'dist/server/main.js', 'dist/cli/main.js', 'web/dist/index.html']) {
    if (!existsSync(path.join(root, required))) {
      throw new ReleaseError(`${path.join(root, required)} is missing: run \`npm ci\` (it builds) or \`npm run build\` in ${root} first`, 'usage');
    }
  }
  if (!npmCi && !existsSync(path.join(root, 'node_modules'))) {
    throw new ReleaseError(`${path.join(root, 'node_modules')} is missing: run \`npm ci\` first, or pass --npm-ci`, 'usage');
  }
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  const name = `${version}-${releaseTimestamp(now)}`;
  const releasesDir = path.resolve(into);
  const target = path.join(releasesDir, name);
  if (path.relative(root, releasesDir) === '' || target.startsWith(path.join(root, 'dist') + path.sep)) {
    throw new ReleaseError(`--into ${releasesDir} would put the release inside what it copies; choose another directory`, 'usage');
  }
  if (existsSync(target)) throw new ReleaseError(`${target} already exists (one release per second); try again`, 'failed');
  const staleBuild = Math.max(newestMtime(path.join(root, 'src')), newestMtime(path.join(root, 'web'))) > newestMtime(path.join(root, 'dist', 'server', 'main.js'));

  await mkdir(releasesDir, { recursive: true, mode: 0o755 });
  // built beside its final name and renamed at the end: a half-built release never looks complete
  const staging = path.join(releasesDir, `.staging-${name}-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o755 });
  try {
    onProgress('Copying the built app');
    for (const entry of ['package.json', 'package-lock.json', 'dist', 'bin', 'deploy', 'models', path.join('web', 'dist')]) {
      const source = path.join(root, entry);
      if (!existsSync(source)) continue;
      await cp(source, path.join(staging, entry), {
        recursive: true,
        verbatimSymlinks: true,
        // source maps stay (stack traces); the models' training leftovers and editor files do not
        filter: (file) => !/(^|[\\/])(\.DS_Store|.*~|.*\.swp)$/.test(file),
      });
    }

    let packages = 0;
    if (npmCi) {
      onProgress('Installing production dependencies (npm ci --omit=dev)');
      const result = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
        cwd: staging,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 10 * 60_000,
      });
      if (result.status !== 0) {
        throw new ReleaseError(`npm ci --omit=dev failed in ${staging}:\n${(result.stderr || result.stdout || String(result.error ?? '')).trim()}`, 'failed');
      }
      packages = productionPackages({ lockfile: path.join(staging, 'package-lock.json') }).required.length;
    } else {
      onProgress('Copying production dependencies from node_modules');
      const { required, optional } = productionPackages({ lockfile: path.join(root, 'package-lock.json') });
      const missing = required.filter((key) => !existsSync(path.join(root, key)));
      if (missing.length > 0) {
        throw new ReleaseError(
          `node_modules does not match package-lock.json (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? `, … ${missing.length} in all` : ''} missing): run \`npm ci\` first, or pass --npm-ci`,
          'usage',
        );
      }
      for (const key of [...required, ...optional.filter((key) => existsSync(path.join(root, key)))]) {
        const source = path.join(root, key);
        const nested = path.join(source, 'node_modules');
        // nested node_modules are lock entries of their own (copied only if production)
        await cp(source, path.join(staging, key), { recursive: true, verbatimSymlinks: true, filter: (file) => file !== nested });
        packages += 1;
      }
    }

    const commit = gitCommit(root);
    const createdAt = now.toISOString();
    await writeFile(
      path.join(staging, 'release.json'),
      `${JSON.stringify({ name, version, created_at: createdAt, commit: commit ?? null, dependencies: npmCi ? 'npm-ci' : 'copied', stale_build: staleBuild }, null, 2)}\n`,
    );

    onProgress('Checking that the server loads with the release’s own dependencies');
    const check = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(path.join(staging, 'dist', 'server', 'lab.js')).href)});`], {
      cwd: staging,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? staging, NODE_PATH: '' },
      timeout: 60_000,
    });
    if (check.status !== 0) {
      throw new ReleaseError(`the release does not load (a dependency missing from the production tree?):\n${(check.stderr || check.stdout).trim().split('\n').slice(0, 8).join('\n')}`, 'failed');
    }

    const bytes = await directorySize(staging);
    await rename(staging, target);
    return { name, path: target, version, createdAt, commit, dependencies: npmCi ? 'npm-ci' : 'copied', packages, bytes, staleBuild };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** Register `agent-lab release`. */
export function register(program: Command, _context: { loadConfig: () => LabConfig }): void {
  program
    .command('release')
    .description('Build a versioned release directory <into>/<version>-<YYYYMMDDHHMMSS> from this built checkout, for deploy/rollout.sh')
    .option('--into <dir>', 'the releases directory (on a server: /opt/agent-lab/releases)', 'releases')
    .option('--npm-ci', 'install production dependencies with `npm ci --omit=dev` (needs the registry or a warm npm cache) instead of copying them from node_modules')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nThen: deploy/rollout.sh <the printed directory>   (see deploy/README.md)')
    .action(async (options: { into: string; npmCi?: boolean; json?: boolean }) => {
      const progress = options.json ? () => {} : (message: string) => console.error(`… ${message}`);
      try {
        const result = await buildRelease({ into: options.into, npmCi: options.npmCi ?? false, onProgress: progress });
        if (options.json) {
          console.log(JSON.stringify(result));
        } else {
          if (result.staleBuild) console.error('warning: the sources are newer than dist/; the release holds the older build (run `npm run build` and release again)');
          console.log(`Release ${result.name}: ${result.packages} production packages (${result.dependencies}), ${(result.bytes / 1_048_576).toFixed(1)} MB`);
          console.log(result.path);
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (options.json) console.log(JSON.stringify({ error: { code: error instanceof ReleaseError ? `${error.kind}:release` : 'failed:release', message } }));
        console.error(`agent-lab release: ${message}`);
        process.exitCode = error instanceof ReleaseError && error.kind === 'usage' ? 2 : 1;
      }
    });
}
