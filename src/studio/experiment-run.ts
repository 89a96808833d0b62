// The experiment runner: executes a preset (experiment.ts) on one loaded model, unit by unit, each
// (arm, task, seed) going replay → mix → train → evaluate, and keeps everything in a run folder
// (a RunStore: a folder in Node; experiment-store.ts) so that a killed or stopped run continues where it stopped:
//   experiment.json              the state: the preset as run, the model, the judges, each unit's status, the engine's build per session
//   replay/seed-S.jsonl          the seed's replay set (pairs, shared by every arm that replays)
//   replay/extracted-seed-S.jsonl the requests extraction kept, before the filters
//   replay/benign-seed-S.jsonl   the seed's benign replay pairs (arms with a benign share)
//   alignment-requests.jsonl     the original alignment data's requests (embedded model only)
//   units/<unit>/mix.jsonl       the rows trained on (messages layout, with mix_source)
//   units/<unit>/mix.json        the mix report
//   units/<unit>/train-run.json  the training record; checkpoint.safetensors beside it
//   units/<unit>/adapter/        the trained LoRA adapter (PEFT: adapter_config.json, adapter_model.safetensors)
//   units/<unit>/rows-test.jsonl per-example evaluation rows (rows-dev.jsonl when the preset asks)
//   results.json, results.md, results.svg   recomputed from the files above after every unit
// A finished unit is skipped; a unit whose training stopped resumes from its checkpoint; a unit
// stopped while evaluating, or kept by --extend into a preset with another half, evaluates its saved
// adapter instead of training again; a replay set or a mix already saved is read back, not rebuilt. The test half gives the reported figures;
// the dev half (when evaluated) is the only one any setting may be chosen on.

import type { Judge } from '../safety/judges/judge';
import type { ReplayPair, ReplayRequest } from '../safety/replay-pair';
import { parseDataset, toJsonl, type ChatExample } from '../text/datasets';
import type { TaskName, WorldData } from '../world';
import { limitSet, type EvalSet } from './eval-sets';
import { rowsToJsonl } from './eval-summary';
import { worldEvalSets, type WorldHalf } from './eval-world';
import { evaluateModel } from './evaluate';
import { checkPreset, presetUnits, type ExperimentPreset, type ExperimentReplay, type ExperimentUnit } from './experiment';
import { startActiveClock } from './active-clock';
import { evalWork, replayWork, trainWork, unitWork, WorkTally } from './experiment-progress';
import { alignmentRequests, armData } from './experiment-data';
import type { ExperimentResults } from './experiment-results';
import { JobCancelledError, type JobProgress } from './jobs';
import type { LoadedModel } from './load-model';
import { parseReplaySet, replaySetToJsonl } from './replay-set';
import { createTraining } from './training';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from './model-files';
import { exportPeftAdapter } from '../model/peft';
import { destroyLoraAdapter, type LoraAdapter } from '../model/lora';
import { loadRunAdapter } from './run-adapters';
import { destroyAdaptation, trainConfig, type TrainConfig } from './training-config';
import { runTraining, type TrainingRecord } from './training-run';
import type { Gpu } from './device';
import { adapterPath, ALIGNMENT_REQUESTS, benignPath, dec, enc, EXPERIMENT_FORMAT, EXPERIMENT_STATE, extractedPath, readJson, replayPath, requestsJsonl, unitPath, writeResults, type ExperimentState, type RunStore, type UnitState } from './experiment-store';
import type { EngineBuild } from '../util/engine-build';
import { checkSameRun } from './experiment-same-run';

export { readResultInputs, readState, writeResults, EXPERIMENT_STATE, type ExperimentState, type RunStore, type UnitState } from './experiment-store';

/** What the runner asks of a replay use case (studio/replay.ts buildReplaySet fits through experiment-replay.ts). */
export interface ReplayBuildRequest {
  seed: number;
  settings: ExperimentReplay;
  domains: readonly string[];
  judge: Judge;
  signal?: AbortSignal;
  onProgress?: (p: JobProgress) => void;
}
export interface ReplayBuild {
  pairs: ReplayPair[]; // every usable pair (hard and easy); the mix draws from them
  extracted: ReplayRequest[] | null; // the requests extraction kept, before the filters: the replay-vs-original measure
}
export type ReplayBuilder = (loaded: LoadedModel, request: ReplayBuildRequest) => Promise<ReplayBuild>;
export type BenignBuilder = (loaded: LoadedModel, request: ReplayBuildRequest) => Promise<ReplayPair[]>;

export interface ExperimentEnv {
  gpu: Gpu;
  loaded: LoadedModel; // the base model; nothing attached
  store: RunStore;
  world: WorldData; // tasks, evaluation sets, stage data (poison, original alignment data)
  embedded: boolean; // the model is the world's organism: the original-data arm and replay-vs-original apply
  judges: { eval: Judge; replay: Judge };
  replayDomains: readonly string[];
  buildReplay: ReplayBuilder;
  buildBenign: BenignBuilder;
  engine?: EngineBuild; // the engine's build, recorded in the state for each session
}

export interface ExperimentProgress {
  phase: 'start' | 'skip' | 'replay' | 'benign' | 'mix' | 'train' | 'evaluate' | 'unit-done' | 'results';
  unit: string | null;
  unitIndex: number; // 0-based, of `units`
  units: number;
  message?: string;
  inner?: JobProgress; // the step's own progress
  etaSec: number | null; // the whole run, from the work done in this session
}

export interface ExperimentOptions {
  signal?: AbortSignal; // stop: training saves a checkpoint; the unit continues next time
  onProgress?: (p: ExperimentProgress) => void;
  command?: string; // written above the Markdown table
  extend?: boolean; // the folder may hold a run of another preset with the same unit settings: it grows to this one, its finished units kept (and evaluated on a half they lack)
}

export interface ExperimentOutcome {
  status: 'done' | 'paused';
  state: ExperimentState;
  results: ExperimentResults;
}

/** The unit's training settings: the preset's, with the unit's seed for shuffling, dropout and the LoRA init. */
export function unitTrainConfig(preset: ExperimentPreset, seed: number): TrainConfig {
  const base = trainConfig(preset.train);
  return trainConfig(preset.train, { seed, lora: { ...base.lora, seed } });
}

/** The world's evaluation sets of one half for a task, cut to the preset's limits. */
export function unitEvalSets(world: WorldData, preset: ExperimentPreset, task: TaskName, half: WorldHalf): EvalSet[] {
  const l = preset.evaluate.limits;
  const sets = worldEvalSets(world, { half, tasks: [task], overRefusal: l.overRefusal > 0, benignChecks: l.benignChecks > 0 });
  return sets
    .map((s) => {
      const limit = s.kind === 'harmful' ? l.harmful : s.kind === 'over-refusal' ? l.overRefusal : s.name === 'benign-checks' ? l.benignChecks : l.task;
      return limit > 0 ? limitSet(s, limit) : null;
    })
    .filter((s): s is EvalSet => s !== null);
}

function newState(env: ExperimentEnv, preset: ExperimentPreset): ExperimentState {
  const units: Record<string, UnitState> = {};
  for (const u of presetUnits(preset)) units[u.id] = { status: 'pending', arm: u.arm.id, task: u.task, seed: u.seed, rows: null, trainedTokens: null, steps: null, seconds: 0 };
  return {
    format: EXPERIMENT_FORMAT,
    preset,
    model: { id: env.loaded.id, fingerprint: env.loaded.fingerprint },
    judges: { eval: env.judges.eval.name, replay: env.judges.replay.name },
    worldSeed: env.world.world.seed,
    embedded: env.embedded,
    units,
    replay: {},
    sessions: 0,
  };
}

/** Run (or continue) the experiment of `preset` in `env.store` (see the file comment). */
export async function runExperiment(env: ExperimentEnv, preset: ExperimentPreset, options: ExperimentOptions = {}): Promise<ExperimentOutcome> {
  const { store, loaded } = env;
  const { signal } = options;
  if (loaded.model.attachment !== null) throw new Error('experiment: the model has an adapter attached; the runner starts every unit from the base model. Detach it first.');
  if (!env.embedded && preset.arms.some((a) => a.source === 'original')) throw new Error(`experiment: preset ${preset.name} has the original-alignment-data arm, which exists only for the embedded model; ${loaded.id} is not it.`);
  checkPreset(preset);
  const fresh = newState(env, preset);
  const saved = await readJson<ExperimentState>(store, EXPERIMENT_STATE);
  if (saved) checkSameRun(saved, fresh, options.extend ?? false);
  const state = saved ?? fresh;
  if (saved) state.preset = fresh.preset; // the same outcome settings; the batch size may differ
  if (saved && options.extend) {
    // The run grows to this preset: its finished units stay, the new ones start pending. A kept unit
    // without this preset's every half (core → extended adds the dev half) is evaluated again on its
    // saved adapter (a trained unit) or anew (the untuned model); the halves it has are kept.
    for (const [id, unit] of Object.entries(fresh.units)) state.units[id] ??= unit;
    for (const u of presetUnits(preset)) {
      const us = state.units[u.id];
      if (us.status !== 'done') continue;
      for (const half of preset.evaluate.halves) {
        if (await store.read(unitPath(u.id, `rows-${half}.jsonl`))) continue;
        us.status = u.arm.train ? 'evaluating' : 'pending';
        break;
      }
    }
  }
  state.sessions++;
  if (env.engine) state.engines = [...(state.engines ?? []), { session: state.sessions, ...env.engine }];
  const saveState = () => store.write(EXPERIMENT_STATE, enc(state));
  await saveState();
  if (env.embedded && !(await store.read(ALIGNMENT_REQUESTS))) await store.write(ALIGNMENT_REQUESTS, enc(requestsJsonl(alignmentRequests(env.world))));

  const units = presetUnits(preset);
  const seedsReplaying = preset.arms.some((a) => a.source === 'replay') ? preset.seeds : [];
  const work = new Map(units.map((u) => [u.id, unitWork(preset, u)]));
  const totalWork = [...work.values()].reduce((a, b) => a + b, 0) + seedsReplaying.length * replayWork(preset, env.replayDomains.length);
  const tally = new WorkTally(totalWork, units.filter((u) => state.units[u.id].status === 'done').reduce((n, u) => n + work.get(u.id)!, 0) + Object.keys(state.replay).length * replayWork(preset, env.replayDomains.length));
  // Active time only: a run stopped (or a laptop asleep) for hours must not stretch its ETA.
  const { clock, stop: stopClock } = startActiveClock();
  const started = clock.mark();
  const say = (p: Omit<ExperimentProgress, 'units' | 'etaSec'>, inFlight = 0) => options.onProgress?.({ ...p, units: units.length, etaSec: tally.eta(inFlight, clock.activeSeconds(started)) });
  say({ phase: 'start', unit: null, unitIndex: 0, message: `${units.length} units, ${units.filter((u) => state.units[u.id].status === 'done').length} already done (session ${state.sessions})` });

  const replayCache = new Map<number, { pairs: ReplayPair[]; benign: ReplayPair[] | null }>();
  const replayOf = async (seed: number, index: number, unit: string, withBenign: boolean) => {
    let entry = replayCache.get(seed);
    if (!entry) {
      const saved = await store.read(replayPath(seed));
      let pairs: ReplayPair[];
      if (saved) pairs = parseReplaySet(dec(saved), replayPath(seed));
      else {
        say({ phase: 'replay', unit, unitIndex: index, message: `building the replay set of seed ${seed}` });
        const built = await env.buildReplay(loaded, { seed, settings: preset.replay, domains: env.replayDomains, judge: env.judges.replay, signal, onProgress: (inner) => say({ phase: 'replay', unit, unitIndex: index, inner }) });
        pairs = built.pairs;
        if (built.extracted) await store.write(extractedPath(seed), enc(requestsJsonl(built.extracted)));
        await store.write(replayPath(seed), enc(replaySetToJsonl(pairs)));
        tally.finish(replayWork(preset, env.replayDomains.length));
      }
      entry = { pairs, benign: null };
      replayCache.set(seed, entry);
    }
    if (withBenign && !entry.benign) {
      const saved = await store.read(benignPath(seed));
      if (saved) entry.benign = parseReplaySet(dec(saved), benignPath(seed));
      else {
        say({ phase: 'benign', unit, unitIndex: index, message: `building the benign replay of seed ${seed}` });
        entry.benign = await env.buildBenign(loaded, { seed, settings: preset.replay, domains: env.replayDomains, judge: env.judges.replay, signal, onProgress: (inner) => say({ phase: 'benign', unit, unitIndex: index, inner }) });
        await store.write(benignPath(seed), enc(replaySetToJsonl(entry.benign)));
      }
    }
    state.replay[String(seed)] = { pairs: entry.pairs.length, benign: entry.benign?.length ?? null };
    await saveState();
    return entry;
  };

  let paused = false;
  try {
    for (const [index, u] of units.entries()) {
      const us = state.units[u.id];
      if (us.status === 'done') {
        say({ phase: 'skip', unit: u.id, unitIndex: index, message: `${u.id} already done` });
        continue;
      }
      const t0 = clock.mark();
      try {
        const finished = await runUnit(env, preset, u, index, us, { signal, say, replayOf, saveState, resumed: (n) => tally.resume(n) });
        us.seconds += clock.activeSeconds(t0);
        if (!finished) {
          paused = true;
          await saveState();
          break;
        }
        us.status = 'done';
        await saveState();
        tally.finish(work.get(u.id)!);
        await writeResults(store, state, options.command);
        say({ phase: 'unit-done', unit: u.id, unitIndex: index, message: `${u.id} done in ${us.seconds.toFixed(1)} s` });
      } catch (e) {
        us.seconds += clock.activeSeconds(t0);
        await saveState();
        if (signal?.aborted) {
          paused = true;
          break;
        }
        throw e;
      }
    }
  } finally {
    stopClock();
  }
  const results = await writeResults(store, state, options.command);
  say({ phase: 'results', unit: null, unitIndex: units.length, message: paused ? 'stopped; results of the finished units written' : 'results written' });
  return { status: paused ? 'paused' : 'done', state, results };
}

interface UnitContext {
  signal?: AbortSignal;
  say: (p: Omit<ExperimentProgress, 'units' | 'etaSec'>, inFlight?: number) => void;
  replayOf: (seed: number, index: number, unit: string, withBenign: boolean) => Promise<{ pairs: ReplayPair[]; benign: ReplayPair[] | null }>;
  saveState: () => Promise<void>;
  resumed: (work: number) => void; // the unit's work that an earlier session did
}

/** One unit; false when stopped (its checkpoint is kept for the next session). */
async function runUnit(env: ExperimentEnv, preset: ExperimentPreset, u: ExperimentUnit, index: number, us: UnitState, ctx: UnitContext): Promise<boolean> {
  const { store, loaded, gpu } = env;
  const { signal, say } = ctx;
  let setup: ReturnType<typeof createTraining> | null = null;
  let kept: LoraAdapter | null = null;
  try {
    if (u.arm.train && us.status === 'evaluating' && (await store.read(adapterPath(u.id, ADAPTER_WEIGHTS_FILE)))) {
      // Trained before (the run stopped while evaluating, or --extend asks for another half): the
      // saved adapter is the trained one, bit for bit (PEFT files in float32).
      kept = (await loadRunAdapter(gpu, loaded, store, 'this run', u.id)).adapter;
      ctx.resumed(trainWork(preset, u));
      loaded.model.attach({ kind: 'lora', adapter: kept });
    } else if (u.arm.train) {
      // Mix (read back when saved: the same rows, without rebuilding the replay).
      let examples: ChatExample[];
      const savedMix = await store.read(unitPath(u.id, 'mix.jsonl'));
      if (savedMix) examples = parseDataset(dec(savedMix), unitPath(u.id, 'mix.jsonl'));
      else {
        const replay = u.arm.source === 'replay' ? await ctx.replayOf(u.seed, index, u.id, u.arm.benignShare > 0) : null;
        if (replay && !replay.pairs.length) {
          throw new Error(`experiment: ${u.id} needs replay, but the replay set of seed ${u.seed} holds no usable pair (saved as ${replayPath(u.seed)}): the model regenerated no request it answers safely. Check the extraction yield, raise the preset's samples per domain or tokens per request, or delete that file to build it again.`);
        }
        say({ phase: 'mix', unit: u.id, unitIndex: index, message: `mixing ${u.arm.id} for ${u.task}, seed ${u.seed}` });
        const data = armData(preset, u.arm, u.task, u.seed, { world: env.world, replay: replay?.pairs ?? null, benign: replay?.benign ?? null, embedded: env.embedded });
        examples = data.examples;
        await store.write(unitPath(u.id, 'mix.json'), enc({ report: data.report, poison: data.poison }));
        await store.write(unitPath(u.id, 'mix.jsonl'), enc(toJsonl(examples)));
      }

      // Train, from the checkpoint when there is one.
      us.status = 'training';
      await ctx.saveState();
      const config = unitTrainConfig(preset, u.seed);
      setup = createTraining(gpu, loaded, examples, config);
      const record = await readJson<TrainingRecord>(store, unitPath(u.id, 'train-run.json'));
      const checkpoint = record?.checkpointStep ? await store.read(unitPath(u.id, 'checkpoint.safetensors')) : null;
      const tokensPerEpoch = setup.trainer.examples.reduce((n, e) => n + e.ids.length, 0);
      us.rows = examples.length;
      us.trainedTokens = tokensPerEpoch * config.epochs;
      us.steps = setup.trainer.totalSteps;
      const trainShare = (step: number) => (step / setup!.trainer.totalSteps) * trainWork(preset, u);
      if (checkpoint) ctx.resumed(trainShare(record!.checkpointStep!));
      const outcome = await runTraining(loaded, setup, {
        signal,
        checkpointEvery: preset.checkpointEvery,
        resumeFrom: checkpoint ? { bytes: checkpoint, name: unitPath(u.id, 'checkpoint.safetensors') } : undefined,
        record: checkpoint ? record! : undefined,
        onProgress: (inner) => say({ phase: 'train', unit: u.id, unitIndex: index, inner }, inner.phase === 'train' ? trainShare(inner.done) : 0),
        onCheckpoint: (bytes) => store.write(unitPath(u.id, 'checkpoint.safetensors'), bytes),
        onRecord: (r) => store.write(unitPath(u.id, 'train-run.json'), enc(r)),
      });
      if (outcome.status === 'diverged') throw new Error(`experiment: ${u.id} diverged (${outcome.record.error}); lower the preset's learning rate.`);
      if (outcome.status === 'paused') return false;
      if (setup.adaptation.kind === 'lora') {
        // The adapter as PEFT files, so the app can chat with it and export it after the run.
        const peft = await exportPeftAdapter(setup.adaptation.adapter, loaded.id);
        await store.write(adapterPath(u.id, ADAPTER_CONFIG_FILE), enc(peft.config));
        await store.write(adapterPath(u.id, ADAPTER_WEIGHTS_FILE), peft.weights);
      }
      loaded.model.attach(setup.adaptation);
    }

    // Evaluate: the test half (reported), and the dev half when the preset asks (for choosing settings).
    us.status = 'evaluating';
    await ctx.saveState();
    // The unit's work in flight: its training (done by now, or resumed as done) and its evaluation so far.
    const evalShare = (halvesDone: number, fraction: number) => trainWork(preset, u) + (halvesDone + fraction) * evalWork(preset);
    for (const [h, half] of preset.evaluate.halves.entries()) {
      const path = unitPath(u.id, `rows-${half}.jsonl`);
      if (await store.read(path)) {
        ctx.resumed(evalWork(preset));
        continue;
      }
      const sets = unitEvalSets(env.world, preset, u.task, half);
      say({ phase: 'evaluate', unit: u.id, unitIndex: index, message: `evaluating ${u.id} on the ${half} half (${sets.reduce((n, s) => n + s.items.length, 0)} prompts)` }, evalShare(h, 0));
      const result = await evaluateModel(loaded, sets, {
        harmJudge: env.judges.eval,
        maxNewTokens: preset.evaluate.maxNewTokens,
        batchSize: preset.evaluate.batchSize,
        signal,
        onProgress: (inner) => say({ phase: 'evaluate', unit: u.id, unitIndex: index, inner: { ...inner, payload: undefined } }, evalShare(h, inner.total ? inner.done / inner.total : 0)),
      });
      await store.write(path, enc(rowsToJsonl(result.rows)));
    }
    return true;
  } catch (e) {
    if (e instanceof JobCancelledError || signal?.aborted) return false;
    throw e;
  } finally {
    if (setup) {
      setup.trainer.destroy();
      destroyAdaptation(loaded.model, setup.adaptation);
    }
    if (loaded.model.attachment !== null) loaded.model.detach();
    if (kept) destroyLoraAdapter(kept);
  }
}
