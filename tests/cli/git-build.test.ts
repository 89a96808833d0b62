// The engine's build as the CLI records it: package.json's version, and git's commit where the
// folder is a checkout (null elsewhere, never a guess).

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { version } from '../../package.json';
import { gitStamp } from '../../src/cli/git-build';
import { bundledEngineBuild, engineBuild } from '../../src/util/engine-build';
import { removeTempFolders, tempFolder } from './run-cli';

afterAll(removeTempFolders);

describe('engine build', () => {
  it('outside a Vite build, the bundle knows its version and no commit', () => {
    expect(bundledEngineBuild()).toEqual({ version, commit: null, dirty: null });
  });

  it('reads the commit and uncommitted changes of a git checkout, and null outside one', () => {
    const dir = tempFolder({ 'a.txt': 'one\n' });
    expect(gitStamp(dir)).toBeNull();
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir, encoding: 'utf8' }).trim();
    git('init', '-q');
    git('add', 'a.txt');
    git('commit', '-qm', 'one');
    const head = git('rev-parse', 'HEAD');
    expect(gitStamp(dir)).toEqual({ commit: head, dirty: false });
    writeFileSync(join(dir, 'b.txt'), 'untracked\n'); // untracked files do not make it dirty
    expect(gitStamp(dir)).toEqual({ commit: head, dirty: false });
    writeFileSync(join(dir, 'a.txt'), 'two\n');
    expect(gitStamp(dir)).toEqual({ commit: head, dirty: true });
    // The CLI's build: this repository's checkout (a clone in CI).
    const stamp = gitStamp();
    expect(engineBuild(stamp)).toEqual({ version, commit: stamp?.commit ?? null, dirty: stamp ? stamp.dirty : null });
    expect(stamp?.commit ?? 'no checkout').toMatch(/^[0-9a-f]{40}$|^no checkout$/);
  });
});
