#!/usr/bin/env node
// The operations CLI (`npx --no-install agent-lab <command>`); runs the built dist/cli/main.js.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const entry = path.join(root, 'dist', 'cli', 'main.js');
if (!existsSync(entry)) {
  console.error(`agent-lab: the CLI is not built (${entry} is missing). Run \`npm run build\` in ${root} first.`);
  process.exit(2);
}
await import(pathToFileURL(entry).href);
