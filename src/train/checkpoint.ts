// Checkpoints: the trainable tensors, AdamW's moments and the step count in one safetensors file,
// with the training configuration and the run's identity (fingerprints of the base model and the
// data, given by the caller) in its metadata. A trainer built with the same configuration, model
// and data resumes from it bit for bit; anything else is refused, naming what differs. A trainer
// whose weights are no longer finite is never saved.

import { openSafetensors, writeSafetensors } from '../model/safetensors';
import { TRAIN_CONFIG_BEFORE_FIELD, type TrainConfig } from './config';
import { TrainingDivergedError, type Trainer } from './trainer';

const FORMAT = 'grsap-checkpoint-1';

/** Names and fingerprints of what a run was made from, e.g. { model: '…', data: '…' }. */
export type CheckpointIdentity = Readonly<Record<string, string>>;

interface CheckpointMeta {
  format: typeof FORMAT;
  step: number; // optimizer steps done
  totalSteps: number;
  config: TrainConfig;
  examples: number; // training examples after preparation
  identity?: CheckpointIdentity;
}

function allFinite(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return false;
  return true;
}

export async function saveCheckpoint(trainer: Trainer, identity?: CheckpointIdentity): Promise<Uint8Array> {
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  const { params } = trainer.gradients;
  for (const [i, p] of params.entries()) {
    const shape = [...p.param.shape];
    const data = (await p.param.read()) as Float32Array;
    if (!allFinite(data)) throw new TrainingDivergedError(trainer.stepsDone, NaN, NaN, `weight ${p.name} is not finite`);
    tensors[`param.${p.name}`] = { dtype: 'F32', shape, data };
    tensors[`adam_m.${p.name}`] = { dtype: 'F32', shape, data: (await trainer.optimizer.m[i].read()) as Float32Array };
    tensors[`adam_v.${p.name}`] = { dtype: 'F32', shape, data: (await trainer.optimizer.v[i].read()) as Float32Array };
  }
  const meta: CheckpointMeta = { format: FORMAT, step: trainer.stepsDone, totalSteps: trainer.totalSteps, config: trainer.config, examples: trainer.examples.length, identity };
  return writeSafetensors(tensors, { format: 'pt', grsap: JSON.stringify(meta) });
}

/** Restore a checkpoint into a trainer made with the same configuration, model and data. */
export async function loadCheckpoint(trainer: Trainer, bytes: Uint8Array, name = 'checkpoint', identity?: CheckpointIdentity): Promise<void> {
  const file = await openSafetensors(bytes, name);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(file.metadata.grsap ?? 'null');
  } catch {
    throw new Error(`${name} is not a training checkpoint of this app (bad metadata).`);
  }
  if (!meta || meta.format !== FORMAT) throw new Error(`${name} is not a training checkpoint of this app.`);
  const differs = configDifferences({ ...TRAIN_CONFIG_BEFORE_FIELD, ...meta.config }, trainer.config);
  if (differs.length) {
    throw new Error(`${name} was made with other training settings (${differs.slice(0, 4).join('; ')}); resume with the same settings, or start a new run.`);
  }
  if (meta.totalSteps !== trainer.totalSteps || meta.examples !== trainer.examples.length) {
    throw new Error(`${name} was made with other training data (${meta.examples} examples, ${meta.totalSteps} steps; now ${trainer.examples.length} and ${trainer.totalSteps}).`);
  }
  for (const [key, value] of Object.entries(identity ?? {})) {
    const saved = meta.identity?.[key];
    if (saved !== value) {
      throw new Error(`${name} was made with another ${key} (fingerprint ${saved ?? 'not recorded'}; now ${value}). Resume with the same ${key}, or start a new run.`);
    }
  }
  const { gpu } = trainer;
  for (const [i, p] of trainer.gradients.params.entries()) {
    for (const [prefix, target] of [['param', p.param], ['adam_m', trainer.optimizer.m[i]], ['adam_v', trainer.optimizer.v[i]]] as const) {
      const key = `${prefix}.${p.name}`;
      if (!file.has(key)) throw new Error(`${name} has no tensor ${key}.`);
      gpu.write(target, await file.readFloat32(key));
    }
  }
  trainer.optimizer.step = meta.step;
}

/** The settings that differ, as 'name saved → now' (nested fields dotted), whatever the key order. */
export function configDifferences(saved: unknown, now: unknown, path = ''): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(saved) && isObject(now)) {
    const keys = [...new Set([...Object.keys(saved), ...Object.keys(now)])].sort();
    return keys.flatMap((k) => configDifferences(saved[k], now[k], path ? `${path}.${k}` : k));
  }
  const a = JSON.stringify(saved);
  const b = JSON.stringify(now);
  return a === b ? [] : [`${path || 'settings'} ${a ?? 'unset'} → ${b ?? 'unset'}`];
}
