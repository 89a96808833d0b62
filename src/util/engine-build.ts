// Which build of the engine is running: the package's version and, where known, the commit it was
// built from (the app's build stamps it through Vite's `define`; the CLI reads it from git). An
// experiment records it for each session, so its folder says which code produced its numbers.

import { version } from '../../package.json';

export interface EngineBuild {
  version: string; // package.json's
  commit: string | null; // the git commit, when the build or the checkout knows it
  dirty: boolean | null; // the checkout had uncommitted changes (null when the commit is unknown)
}

export type CommitStamp = { commit: string; dirty: boolean } | null;

/** The app build's stamp (vite.config.ts); absent outside a Vite build. */
declare const __GRSAP_BUILD__: CommitStamp | undefined;

/** This version at the commit `stamp` names (null: unknown). */
export function engineBuild(stamp: CommitStamp): EngineBuild {
  return { version, commit: stamp?.commit ?? null, dirty: stamp ? stamp.dirty : null };
}

/** The build as this bundle knows it: the version always, the commit where the app's build stamped it. */
export function bundledEngineBuild(): EngineBuild {
  return engineBuild(typeof __GRSAP_BUILD__ === 'undefined' ? null : __GRSAP_BUILD__);
}
