// Golden fixtures written by scripts/golden/make_golden.py (PyTorch): a tiny HF checkpoint, a PEFT
// adapter, and reference logits, losses, gradients and trained weights. The small reference files
// are read into memory (no file handle stays open across a test file).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Gpu } from '../../src/gpu/gpu';
import { parseModelConfig, type ModelConfig } from '../../src/model/config';
import { DecoderModel } from '../../src/model/model';
import { openCheckpoint, openSafetensors, type TensorReader } from '../../src/model/safetensors';
import { loadDecoderWeights } from '../../src/model/weights';
import { nodeFileSource } from '../../src/storage/node-file-source';
import { collatePaddingFree, uploadBatchInputs, uploadLearned, type Batch } from '../../src/model/batch';
import { existsSync } from 'node:fs';

export const GOLDEN_CASES = ['llama-gqa-tied', 'qwen2-bias-untied', 'llama3-rope-scaling'] as const;
export const GOLDEN_ROOT = join(import.meta.dirname, '..', 'fixtures', 'golden');

export interface GoldenCase {
  dir: string;
  cfg: ModelConfig;
  json: Record<string, any>; // golden.json
  golden: TensorReader; // golden.safetensors
  adapterConfig: unknown;
  adapter: TensorReader; // adapter/adapter_model.safetensors
}

export async function openGoldenCase(name: string): Promise<GoldenCase> {
  const dir = join(GOLDEN_ROOT, name);
  const cfg = parseModelConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  return {
    dir,
    cfg,
    json: JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8')),
    golden: await openSafetensors(readFileSync(join(dir, 'golden.safetensors')), 'golden.safetensors'),
    adapterConfig: JSON.parse(readFileSync(join(dir, 'adapter', 'adapter_config.json'), 'utf8')),
    adapter: await openSafetensors(readFileSync(join(dir, 'adapter', 'adapter_model.safetensors')), 'adapter_model.safetensors'),
  };
}

export async function loadGoldenModel(gpu: Gpu, c: GoldenCase): Promise<DecoderModel> {
  const reader = await openCheckpoint(async (f) => (existsSync(join(c.dir, f)) ? nodeFileSource(join(c.dir, f)) : null));
  const weights = await loadDecoderWeights(gpu, c.cfg, reader);
  await reader.close();
  return new DecoderModel(gpu, c.cfg, weights);
}

/** The golden batch: right-padded ids, lengths, and shifted targets (labels[t+1], −100 ignored). */
export async function goldenBatch(c: GoldenCase) {
  const ids = await c.golden.readInt32('input_ids');
  const mask = await c.golden.readInt32('attention_mask');
  const labels = await c.golden.readInt32('labels');
  const [B, T] = c.golden.info('input_ids').shape;
  const lengths = Array.from({ length: B }, (_, b) => mask.subarray(b * T, (b + 1) * T).reduce((s, v) => s + v, 0));
  const targets = new Uint32Array(B * T).fill(0xffffffff);
  let counted = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t + 1 < T; t++) {
      const l = labels[b * T + t + 1];
      if (l !== -100) {
        targets[b * T + t] = l;
        counted++;
      }
    }
  }
  return { B, T, ids: Uint32Array.from(ids), lengths, targets, counted };
}

/** Largest |a − r| over the largest |r|: the error relative to the tensor's scale. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, select?: (i: number) => boolean): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    if (select && !select(i)) continue;
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  if (!(maxRef > 0)) throw new Error('reference tensor is all zeros: nothing to compare against');
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  return maxDiff / maxRef;
}

export type GoldenBatch = Awaited<ReturnType<typeof goldenBatch>>;

/** Rows [from, to) of the golden batch on the GPU, through the same uploads as training batches: the inputs and the learned positions. */
export function goldenInputs(model: DecoderModel, batch: GoldenBatch, from = 0, to = batch.B) {
  const { T } = batch;
  const targets = batch.targets.subarray(from * T, to * T);
  const rows: Batch = {
    B: to - from,
    T,
    inputIds: batch.ids.subarray(from * T, to * T),
    targets,
    lengths: batch.lengths.slice(from, to),
    countedTokens: targets.filter((t) => t !== 0xffffffff).length,
    exampleIndices: Array.from({ length: to - from }, (_, i) => from + i),
  };
  return { inputs: uploadBatchInputs(model, rows), learned: uploadLearned(model, rows) };
}

/** The golden batch's rows side by side in one padding-free row (collatePaddingFree), uploaded like a training batch. */
export function goldenPaddingFreeInputs(model: DecoderModel, batch: GoldenBatch) {
  const examples = batch.lengths.map((len, b) => {
    const ids = Array.from(batch.ids.subarray(b * batch.T, b * batch.T + len));
    // collate learns ids[t + 1] where lossMask[t + 1]: the golden target of position t.
    return { ids, lossMask: ids.map((_, t) => (t > 0 && batch.targets[b * batch.T + t - 1] !== 0xffffffff ? 1 : 0)) };
  });
  const packed = collatePaddingFree(examples, examples.map((_, b) => b));
  return { inputs: uploadBatchInputs(model, packed), learned: uploadLearned(model, packed) };
}

/** Select the logits (flat N·V) of real, non-padding rows. */
export function realLogit(batch: GoldenBatch, vocab: number): (i: number) => boolean {
  return (i) => {
    const row = Math.floor(i / vocab);
    return row % batch.T < batch.lengths[Math.floor(row / batch.T)];
  };
}
