// The commit a checkout of the repository is at, as git says (null outside a git checkout, or
// without git). Node only: the CLI records it with each experiment session, and vite.config.ts
// stamps it into the app's build. Imports nothing of the project, so Vite's config loader takes it.

import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The commit HEAD names and whether tracked files differ from it, or null when git cannot say. */
export function gitStamp(root = ROOT): { commit: string; dirty: boolean } | null {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git('rev-parse', 'HEAD');
    return { commit, dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return null;
  }
}
