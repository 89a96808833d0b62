// The training output folder: created fresh, or reused only for a run of ours, so a user's files
// are never overwritten. A folder whose run never saved a checkpoint (it failed or was stopped
// first) holds nothing worth keeping, so the same command can simply run again there. Files are
// written to a temporary name and renamed into place, so an interrupted write never leaves a
// truncated checkpoint or adapter behind.

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, TOKENIZER_FILES } from '../studio/model-files';
import type { RecipeStore } from '../studio/organism';
import { TRAINING_RECORD_FORMAT, type TrainingRecord } from '../studio/training-run';
import { existingFile, UsageError } from './args';

export const RUN_MANIFEST = 'train-run.json'; // marks a folder as ours: settings, progress, eval losses
export const CHECKPOINT_FILE = 'checkpoint.safetensors';

const OWN_OUTPUTS = new Set<string>([RUN_MANIFEST, CHECKPOINT_FILE, ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, 'config.json', 'model.safetensors', ...TOKENIZER_FILES]);
const TEMP_SUFFIX = /\.tmp-\d+$/; // left by a run killed mid-write

function readRecord(dir: string): TrainingRecord | null {
  try {
    const record = JSON.parse(readFileSync(join(dir, RUN_MANIFEST), 'utf8')) as TrainingRecord;
    return record?.format === TRAINING_RECORD_FORMAT ? record : null;
  } catch {
    return null;
  }
}

/**
 * Make sure `dir` may receive this run's outputs: it is created when missing; an existing folder
 * must be empty or hold nothing but a run of ours — one with a checkpoint only when resuming it,
 * one without (nothing to lose) either way. Returns the earlier run's record when there is one.
 */
export function prepareOutDir(dir: string, resumePath: string | undefined): TrainingRecord | null {
  if (!existsSync(dir)) {
    if (resumePath !== undefined) existingFile('resume', resumePath);
    mkdirSync(dir, { recursive: true });
    return null;
  }
  if (!statSync(dir).isDirectory()) throw new UsageError(`--out ${dir} exists and is not a folder. Give a new folder name.`);
  const entries = readdirSync(dir);
  const foreign = entries.filter((name) => !OWN_OUTPUTS.has(name) && !TEMP_SUFFIX.test(name));
  const record = entries.includes(RUN_MANIFEST) ? readRecord(dir) : null;
  const hasCheckpoint = entries.includes(CHECKPOINT_FILE);
  if (entries.length && (foreign.length || !record)) {
    const why = foreign.length ? `it holds files this tool did not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''})` : `it has no readable ${RUN_MANIFEST}, so it is not a training run's folder`;
    throw new UsageError(`--out ${dir} cannot be used: ${why}. Choose a new or empty folder.`);
  }
  if (resumePath === undefined) {
    if (hasCheckpoint) {
      const done = record?.status === 'done' ? 'holds a finished run' : `holds a run stopped at step ${record?.checkpointStep ?? '?'}`;
      throw new UsageError(`--out ${dir} ${done}. Choose a new folder, or add --resume ${join(dir, CHECKPOINT_FILE)} to continue it.`);
    }
    return null; // empty, or a run that saved nothing: start afresh
  }
  if (!existsSync(resumePath)) {
    const hint = record && !hasCheckpoint ? ` The run in ${dir} stopped before its first checkpoint, so there is nothing to resume: run the same command without --resume to start it again.` : '';
    throw new UsageError(`--resume ${resumePath} does not exist.${hint}`);
  }
  existingFile('resume', resumePath);
  return record;
}

/** An output folder for a command that writes a whole new set of files: created, or empty. */
export function prepareEmptyOutDir(dir: string): void {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    return;
  }
  if (!statSync(dir).isDirectory()) throw new UsageError(`--out ${dir} exists and is not a folder. Give a new folder name.`);
  if (readdirSync(dir).length) throw new UsageError(`--out ${dir} is not empty. Choose a new or empty folder.`);
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

/** A folder as the studio's file store (organism recipe, experiment runs): paths relative to `root`, atomic writes. */
export function folderStore(root: string): RecipeStore {
  return {
    async read(path) {
      const file = join(root, path);
      return existsSync(file) ? new Uint8Array(readFileSync(file)) : null;
    },
    async write(path, bytes) {
      const file = join(root, path);
      mkdirSync(dirname(file), { recursive: true });
      await writeFileAtomic(file, bytes);
    },
  };
}
