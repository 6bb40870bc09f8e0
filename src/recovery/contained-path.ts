import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { fromFileSystemError, RecoveryError } from './recovery-error.js';

/**
 * Where a relative path from a manifest lands inside a root folder, refusing every way out:
 * an absolute path, `..`, a backslash, or a symbolic link on the way (or at the end) whose
 * real location is outside the root.
 */
export async function resolveInside(options: { root: string; relative: string; what: string }): Promise<string> {
  const { relative, what } = options;
  const root = path.resolve(options.root);
  const refuse = (why: string) =>
    new RecoveryError('integrity:path', `Refusing to restore ${JSON.stringify(relative)}: ${why}; nothing was changed`, {
      hint: `the snapshot or ${what} was altered; check it, or use another snapshot`,
    });
  if (relative === '' || path.isAbsolute(relative) || relative.includes('\\') || relative.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw refuse(`it is not a plain relative path inside ${what}`);
  }
  const target = path.resolve(root, relative);
  if (!isWithin(root, target)) throw refuse(`it resolves outside ${what}`);

  // Follow what exists of the path on disk: the deepest existing part must really be inside.
  const realRoot = await realpath(root).catch((error: unknown) => {
    throw fromFileSystemError(error, { action: 'resolve', path: root });
  });
  let existing = target;
  for (;;) {
    try {
      await lstat(existing);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fromFileSystemError(error, { action: 'inspect', path: existing });
      existing = path.dirname(existing);
    }
  }
  let real: string;
  try {
    real = await realpath(existing);
  } catch (error) {
    // A dangling symbolic link: it points somewhere that does not exist, never a place to write.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw refuse(`${path.relative(root, existing)} is a symbolic link to a missing place`);
    throw fromFileSystemError(error, { action: 'resolve', path: existing });
  }
  if (!isWithin(realRoot, real) && real !== realRoot) {
    throw refuse(`${path.relative(root, existing) || '.'} is a symbolic link leading outside ${what} (to ${real})`);
  }
  return target;
}

function isWithin(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}
