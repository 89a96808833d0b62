// `train`: LoRA or full fine-tuning on a chat dataset. Progress on stderr; into --out: the PEFT
// adapter (LoRA) or the HF model folder (full), checkpoint.safetensors every N steps and at the end,
// and train-run.json (settings, progress, eval losses). Ctrl-C stops after the current step and
// saves a checkpoint to resume from.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobProgress } from '../studio/jobs';
import { trainedModelFiles } from '../studio/model-files';
import { createTraining, type TrainingSetup } from '../studio/training';
import { destroyAdaptation, PAPER_FULL, PAPER_LORA, trainConfig, type TrainConfig, type TrainOverrides } from '../studio/training-config';
import { runTraining, type TrainingPoint, type TrainingRecord } from '../studio/training-run';
import { describeSkipped } from '../text/encode-dataset';
import { choiceOption, existingFile, floatOption, intOption, stringOption, UsageError, type CommandSpec, type ParsedValues } from './args';
import { checkModelFolders, formatDuration, openModel, readDataset, type CliContext } from './common';
import { CHECKPOINT_FILE, prepareOutDir, RUN_MANIFEST, writeFileAtomic } from './out-dir';

export const trainSpec: CommandSpec = {
  name: 'train',
  summary: 'fine-tune with LoRA or fully on a chat dataset',
  usage: '--model DIR --data FILE.jsonl --out DIR [options]',
  description: [
    'Learns the assistant turns of each example (completion-only loss). Writes to --out the PEFT adapter',
    '(adapter_config.json, adapter_model.safetensors) for LoRA, or the Hugging Face model (config.json,',
    'model.safetensors, tokenizer files) for full fine-tuning; checkpoint.safetensors every',
    '--checkpoint-every steps and at the end; train-run.json with the settings and eval losses.',
    'Defaults: LoRA as the paper (lr 2e-4, r 16, alpha 32, dropout 0.05), full fine-tuning lr 2e-6.',
    '--config takes a JSON file of further training options (e.g. {"warmupRatio": 0.05,',
    '"optimizer": {"weightDecay": 0}}); flags override it. Ctrl-C stops after the current step and',
    'saves a checkpoint; rerun the same command with --resume DIR/checkpoint.safetensors to continue.',
  ].join('\n'),
  options: [
    { name: 'model', type: 'string', value: 'DIR', help: 'Hugging Face model folder to start from', required: true },
    { name: 'data', type: 'string', value: 'FILE.jsonl', help: 'training examples: JSONL, JSON or CSV', required: true },
    { name: 'out', type: 'string', value: 'DIR', help: 'output folder: new or empty, or a previous run\'s with --resume', required: true },
    { name: 'method', type: 'string', value: 'lora|full', help: 'train a LoRA adapter or every weight', default: 'lora' },
    { name: 'epochs', type: 'string', value: 'N', help: 'passes over the data', default: '1' },
    { name: 'batch-size', type: 'string', value: 'B', help: 'examples per micro-batch', default: '4' },
    { name: 'grad-accum', type: 'string', value: 'N', help: 'micro-batches per optimizer step', default: '1' },
    { name: 'lr', type: 'string', value: 'X', help: 'peak learning rate', default: '2e-4, full 2e-6' },
    { name: 'max-length', type: 'string', value: 'N', help: 'tokens per example; longer ones are truncated', default: '512, full 1024' },
    { name: 'lora-r', type: 'string', value: 'R', help: 'LoRA rank', default: '16' },
    { name: 'lora-alpha', type: 'string', value: 'A', help: 'LoRA alpha (scale alpha/r)', default: '32' },
    { name: 'lora-dropout', type: 'string', value: 'P', help: 'dropout on the adapter input', default: '0.05' },
    { name: 'seed', type: 'string', value: 'S', help: 'shuffling, LoRA init and dropout', default: '0' },
    { name: 'eval', type: 'string', value: 'FILE.jsonl', help: 'held-out examples: eval loss before and after' },
    { name: 'resume', type: 'string', value: 'CHECKPOINT', help: 'continue from a checkpoint.safetensors of the same settings and data' },
    { name: 'checkpoint-every', type: 'string', value: 'N', help: 'save a checkpoint every N steps; 0 = only at the end', default: '0' },
    { name: 'config', type: 'string', value: 'FILE.json', help: 'further training options as JSON' },
    { name: 'save-dtype', type: 'string', value: 'f32|bf16', help: 'full fine-tuning: dtype of model.safetensors', default: 'f32' },
  ],
};

type Overrides = TrainOverrides;

/** Training settings: the method's preset, then --config, then the flags given. */
export function configFromFlags(values: ParsedValues): TrainConfig {
  let fromFile: Overrides = {};
  const configPath = stringOption(values, 'config');
  if (configPath !== undefined) {
    try {
      fromFile = JSON.parse(readFileSync(existingFile('config', configPath), 'utf8'));
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`--config ${configPath} is not valid JSON (${(e as Error).message}).`);
    }
    if (!fromFile || typeof fromFile !== 'object' || Array.isArray(fromFile)) throw new UsageError(`--config ${configPath} must hold a JSON object of training options.`);
  }
  const method = choiceOption(values, 'method', ['lora', 'full'] as const, fromFile.method ?? 'lora');
  const flags: Overrides = { method };
  const lora: NonNullable<Overrides['lora']> = {};
  const given = (name: string) => stringOption(values, name) !== undefined;
  if (given('epochs')) flags.epochs = intOption(values, 'epochs', 1);
  if (given('batch-size')) flags.batchSize = intOption(values, 'batch-size', 4);
  if (given('grad-accum')) flags.gradAccumulation = intOption(values, 'grad-accum', 1);
  if (given('lr')) flags.lr = floatOption(values, 'lr', 0, (x) => x > 0, 'a positive number');
  if (given('max-length')) flags.maxLength = intOption(values, 'max-length', 512, 2);
  if (given('seed')) flags.seed = intOption(values, 'seed', 0, 0);
  if (given('lora-r')) lora.r = intOption(values, 'lora-r', 16);
  if (given('lora-alpha')) lora.alpha = floatOption(values, 'lora-alpha', 32, (x) => x > 0, 'a positive number');
  if (given('lora-dropout')) lora.dropout = floatOption(values, 'lora-dropout', 0.05, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
  if (Object.keys(lora).length) {
    if (method !== 'lora') throw new UsageError('--lora-r, --lora-alpha and --lora-dropout only apply to --method lora.');
    flags.lora = lora;
  }
  try {
    return trainConfig(method === 'full' ? PAPER_FULL : PAPER_LORA, fromFile, flags);
  } catch (e) {
    throw new UsageError(`train: ${(e as Error).message}${configPath ? ` (check --config ${configPath} and the flags)` : ''}`);
  }
}

/** One progress line per step, on stderr. */
function progressLine(p: JobProgress<TrainingPoint>, epochs: number): string {
  if (p.phase === 'eval') return `eval loss over ${p.total} examples…`;
  if (p.phase !== 'train' || !p.payload) return `${p.phase}: ${p.done}/${p.total ?? '?'} ${p.unit}`;
  const r = p.payload;
  const loss = r.loss === null ? '-' : r.loss.toFixed(4);
  const norm = r.gradNorm === null ? '' : `  |g| ${r.gradNorm.toFixed(3)}`;
  return `step ${r.step}/${r.totalSteps} (epoch ${r.epoch + 1}/${epochs})  loss ${loss}${norm}  lr ${r.lr.toExponential(2)}  ${(p.rate ?? 0).toFixed(0)} tok/s  ETA ${formatDuration(p.etaSec ?? NaN)}`;
}

export async function runTrain(values: ParsedValues, ctx: CliContext): Promise<number> {
  const modelDir = stringOption(values, 'model')!;
  const dataPath = stringOption(values, 'data')!;
  const outDir = stringOption(values, 'out')!;
  const evalPath = stringOption(values, 'eval');
  const resumePath = stringOption(values, 'resume');
  const checkpointEvery = intOption(values, 'checkpoint-every', 0, 0);
  const dtype = choiceOption(values, 'save-dtype', ['f32', 'bf16'] as const, 'f32') === 'bf16' ? 'BF16' : 'F32';
  const config = configFromFlags(values);
  checkModelFolders(modelDir);
  const data = readDataset('data', dataPath);
  const evalData = evalPath !== undefined ? readDataset('eval', evalPath) : undefined;
  const previous = prepareOutDir(outDir, resumePath);
  // Read before anything is written: --resume may point into --out.
  const resumeFrom = resumePath !== undefined ? { bytes: new Uint8Array(await readFile(resumePath)), name: resumePath } : undefined;

  const { loaded, source } = await openModel(ctx, modelDir);
  const gpu = await ctx.gpu();
  const setup = createTraining(gpu, loaded, data, config, { eval: evalData });
  const checkpointPath = join(outDir, CHECKPOINT_FILE);
  const writeRecord = (record: TrainingRecord) => writeFileAtomic(join(outDir, RUN_MANIFEST), `${JSON.stringify({ ...record, files: { model: modelDir, data: dataPath, eval: evalPath ?? null } }, null, 2)}\n`);
  reportData(ctx, setup, config);
  const epochs = config.epochs;
  try {
    const outcome = await runTraining(loaded, setup, {
      signal: ctx.signal,
      checkpointEvery,
      resumeFrom,
      record: resumeFrom ? previous ?? undefined : undefined,
      onRecord: writeRecord,
      onProgress: (p) => ctx.log(p.phase === 'resume' ? `resumed from ${resumePath} at step ${p.done}/${p.total}` : progressLine(p, epochs)),
      onCheckpoint: async (bytes, record) => {
        await writeFileAtomic(checkpointPath, bytes);
        ctx.log(`checkpoint at step ${record.checkpointStep} saved to ${checkpointPath}`);
      },
    });
    const { record } = outcome;
    for (const [label, loss] of Object.entries(record.evalLoss)) ctx.log(`eval loss ${label}: ${loss.toFixed(4)} (${setup.eval!.examples.length} examples)`);
    if (outcome.status === 'diverged') {
      const kept = record.checkpointStep !== null ? `the checkpoint of step ${record.checkpointStep} in ${checkpointPath} is kept` : 'no checkpoint was saved before it';
      ctx.log(`error: ${record.error} Nothing was written from the diverged weights; ${kept}.`);
      return 1;
    }
    if (outcome.status === 'paused') {
      ctx.log(`interrupted at step ${record.steps.done}/${record.steps.total}. To continue, run the same command with --resume ${checkpointPath}`);
      return 130;
    }
    const files = await trainedModelFiles(loaded, source, setup.adaptation, { baseModel: await baseModelName(source, modelDir), dtype });
    for (const [name, bytes] of files) await writeFileAtomic(join(outDir, name), bytes);
    ctx.log(`wrote ${[...files.keys()].join(', ')} to ${outDir}`);
    return 0;
  } finally {
    setup.trainer.destroy();
    destroyAdaptation(loaded.model, setup.adaptation);
    loaded.model.destroy();
  }
}

function reportData(ctx: CliContext, setup: TrainingSetup, config: TrainConfig): void {
  const { encodeReport, trainer } = setup;
  const p = trainer.prepareReport;
  ctx.log(`data: ${encodeReport.total} examples, ${encodeReport.encoded} encoded, ${encodeReport.skipped.length} skipped; ${p.kept} kept, ${p.truncated} truncated to ${config.maxLength} tokens, ${p.droppedNoTarget} dropped with nothing left to learn after truncation`);
  for (const line of describeSkipped(encodeReport)) ctx.log(line);
  if (setup.eval) {
    const e = setup.eval;
    ctx.log(`eval: ${e.encodeReport.total} examples, ${e.examples.length} used, ${e.encodeReport.skipped.length} skipped, ${e.prepareReport.truncated} truncated, ${e.prepareReport.droppedNoTarget} dropped`);
  }
  const tokens = trainer.examples.reduce((n, x) => n + x.ids.length, 0);
  ctx.log(`training: ${config.method}, ${trainer.totalSteps} steps (${config.epochs} epoch${config.epochs === 1 ? '' : 's'}, batch ${config.batchSize} × ${config.gradAccumulation} accumulated), ${tokens} tokens per epoch, peak lr ${config.lr}; about ${(setup.memory.total / 2 ** 20).toFixed(0)} MiB of GPU memory`);
  for (const w of setup.warnings) ctx.log(`warning: ${w}`);
}

/** base_model_name_or_path for the adapter: the checkpoint's own name when it records one. */
async function baseModelName(source: { json<T>(name: string): Promise<T> }, modelDir: string): Promise<string> {
  const config = await source.json<{ _name_or_path?: unknown }>('config.json');
  return typeof config._name_or_path === 'string' && config._name_or_path ? config._name_or_path : modelDir;
}
