// Timing helper shared by the op benchmarks: warm-up runs (pipeline compilation, first-touch of
// buffers), then N timed runs through gpu.time() (GPU timestamp queries where the adapter has
// them, wall-clock around submit and completion otherwise), reported as the median.

import type { Gpu } from '../src/gpu/gpu';
import type { Tensor } from '../src/gpu/tensor';
import type { ModelConfig } from '../src/model/config';
import { generate } from '../src/model/generate';
import type { DecoderModel } from '../src/model/model';
import type { Trainer } from '../src/train/trainer';
import { Rng } from '../src/util/rng';

export type Timing = 'gpu-timestamp' | 'wall';

export interface TimeOptions {
  warmup?: number; // untimed runs first, default 2
  iterations?: number; // timed runs, default 5
  /**
   * Launches per timed run. Default: as many as make one run last about `targetMs` (from the
   * last warm-up run), at most `maxRepeat`: a small op (a decode step, or anything on a fast
   * GPU) takes less than Chrome's 100 µs timestamp quantum, so launches are timed together.
   */
  repeat?: number;
  targetMs?: number; // default 2
  maxRepeat?: number; // default 50
}

export interface TimedRun {
  medianMs: number; // per launch
  minMs: number; // per launch
  iterations: number;
  repeat: number;
  timing: Timing;
}

/**
 * Time `launch`, which records one launch of the op (no uploads or readbacks: those submit and
 * would split the timed work). It may return tensors it allocated; they are destroyed after
 * each timed run.
 */
export async function timeGpu(gpu: Gpu, launch: () => Tensor | Tensor[] | void, options: TimeOptions = {}): Promise<TimedRun> {
  const { warmup = 2, iterations = 5, targetMs = 2, maxRepeat = 50 } = options;
  let repeat = 1;
  const once = async (): Promise<number> => {
    const made: Tensor[] = [];
    const ms = await gpu.time(() => {
      for (let r = 0; r < repeat; r++) {
        const out = launch();
        if (out) made.push(...(Array.isArray(out) ? out : [out]));
      }
    });
    for (const t of made) t.destroy();
    return ms / repeat;
  };
  let last = 0;
  for (let i = 0; i < Math.max(1, warmup); i++) last = await once();
  repeat = options.repeat ?? Math.min(maxRepeat, Math.max(1, Math.ceil(targetMs / Math.max(last, 1e-3))));
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) times.push(await once());
  return {
    medianMs: median(times),
    minMs: Math.min(...times),
    iterations,
    repeat,
    timing: gpu.info.features.timestampQuery ? 'gpu-timestamp' : 'wall',
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Round to `digits` significant digits, for readable JSON. */
export function significant(x: number, digits = 4): number {
  return Number.isFinite(x) && x !== 0 ? Number(x.toPrecision(digits)) : x;
}

export interface Workload {
  bytes?: number; // bytes an ideal kernel must move (read + write), for GB/s
  flops?: number; // algorithmic floating-point operations, for GFLOP/s
}

/** A benchmark record: op, shape, median ms, and throughput where the workload gives one. */
export function throughputRecord(op: string, shape: string, run: TimedRun, work: Workload, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const seconds = run.medianMs / 1e3;
  return {
    op,
    shape,
    medianMs: significant(run.medianMs),
    minMs: significant(run.minMs),
    ...(work.bytes !== undefined ? { gbps: significant(work.bytes / seconds / 1e9) } : {}),
    ...(work.flops !== undefined ? { gflops: significant(work.flops / seconds / 1e9) } : {}),
    timing: run.timing,
    iterations: run.iterations,
    repeat: run.repeat,
    ...extra,
  };
}

/**
 * The trainer's figures over `steps` optimizer steps after one untimed step (pipeline compilation):
 * wall and CPU time a step, the tokens a step's batches hold (padding included, if any) and the
 * examples' own tokens a step (the same in every layout).
 */
export async function timeTrainerSteps(trainer: Trainer, steps: number): Promise<{ msPerStep: number; cpuMsPerStep: number; paddedTokensPerStep: number; exampleTokensPerStep: number; wallMs: number }> {
  await trainer.run({ untilStep: 1 });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const history = await trainer.run({ untilStep: 1 + steps });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const padded = (history.at(-1)!.tokens - history[0].tokens) / steps;
  let exampleTokens = 0;
  for (const micro of trainer.steps.slice(1, 1 + steps)) for (const indices of micro) for (const i of indices) exampleTokens += trainer.examples[i].ids.length;
  return { msPerStep: Math.round(wallMs / steps), cpuMsPerStep: Math.round((cpu.user + cpu.system) / 1000 / steps), paddedTokensPerStep: Math.round(padded), exampleTokensPerStep: Math.round(exampleTokens / steps), wallMs };
}

/** `count` random prompts of 24–40 tokens (seeded): the generation scenario of the profile and the A/B. */
export function randomPrompts(cfg: ModelConfig, count: number, seed = 3): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => Array.from({ length: 24 + rng.int(17) }, () => rng.int(cfg.vocabSize)));
}

/**
 * Greedy generation of `prompts` to `newTokens` tokens (no end ids, so every row runs every step),
 * `runs` times after one short untimed run: the median prefill time and the median decode step.
 */
export async function timeGeneration(gpu: Gpu, model: DecoderModel, prompts: number[][], newTokens: number, runs: number): Promise<{ prefillMs: number; decodeMs: number }> {
  const options = { maxNewTokens: newTokens, sampling: { temperature: 0 }, eosIds: [] as number[] };
  await generate(model, prompts, { ...options, maxNewTokens: 2 }); // compile
  const prefill: number[] = [];
  const decode: number[] = [];
  for (let r = 0; r < runs; r++) {
    await gpu.sync();
    const stamps = [performance.now()];
    await generate(model, prompts, { ...options, onStep: () => stamps.push(performance.now()) });
    prefill.push(stamps[1] - stamps[0]);
    for (let i = 2; i < stamps.length; i++) decode.push(stamps[i] - stamps[i - 1]);
  }
  return { prefillMs: median(prefill), decodeMs: median(decode) };
}
