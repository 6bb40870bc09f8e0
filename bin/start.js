#!/usr/bin/env node
// `npm start`: build the server and the UI when the build is missing or older than the
// sources, then run the lab. The build itself is `npm run build`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function newestMtime(target) {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(target)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    newest = Math.max(newest, newestMtime(path.join(target, entry)));
  }
  return newest;
}

const built = Math.min(newestMtime(path.join(root, 'dist', 'server', 'main.js')), newestMtime(path.join(root, 'web', 'dist', 'index.html')));
const sources = Math.max(newestMtime(path.join(root, 'src')), newestMtime(path.join(root, 'web')), newestMtime(path.join(root, 'package.json')));
if (built === 0 || sources > built) {
  console.log('Building Agent Lab (server and UI)...');
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('The build failed; see above. Run `npm ci` first if node_modules is missing.');
    process.exit(result.status ?? 1);
  }
}
await import(path.join(root, 'dist', 'server', 'main.js'));
