// The training output folder: created fresh, or reused only to resume a run of ours, so a user's
// files are never overwritten. Files are written to a temporary name and renamed into place, so an
// interrupted write never leaves a truncated checkpoint or adapter behind.

import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, TOKENIZER_FILES } from '../studio/model-files';
import { UsageError } from './args';

export const RUN_MANIFEST = 'train-run.json'; // marks a folder as ours: settings, progress, eval losses
export const CHECKPOINT_FILE = 'checkpoint.safetensors';

const OWN_OUTPUTS = new Set<string>([RUN_MANIFEST, CHECKPOINT_FILE, ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, 'config.json', 'model.safetensors', ...TOKENIZER_FILES]);
const TEMP_SUFFIX = /\.tmp-\d+$/; // left by a run killed mid-write

/**
 * Make sure `dir` may receive this run's outputs: it is created when missing; an existing folder
 * must be empty, or — only when resuming — hold nothing but a previous run's outputs.
 */
export function prepareOutDir(dir: string, resuming: boolean): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    return;
  }
  if (!statSync(dir).isDirectory()) throw new UsageError(`--out ${dir} exists and is not a folder. Give a new folder name.`);
  const entries = readdirSync(dir);
  if (!entries.length) return;
  if (!resuming) {
    throw new UsageError(`--out ${dir} is not empty. Choose a new folder, or add --resume ${join(dir, CHECKPOINT_FILE)} to continue the run saved there.`);
  }
  const foreign = entries.filter((name) => !OWN_OUTPUTS.has(name) && !TEMP_SUFFIX.test(name));
  if (!entries.includes(RUN_MANIFEST) || foreign.length) {
    const why = foreign.length ? `it holds files this tool did not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''})` : `it has no ${RUN_MANIFEST}, so it is not a training run's folder`;
    throw new UsageError(`--out ${dir} cannot be reused: ${why}. Choose a new or empty folder.`);
  }
}

/** Write `data` to `path` through a temporary file in the same folder and an atomic rename. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}
