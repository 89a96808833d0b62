// The engine behind the worker: owns the GPU, the loaded model, its trained adapters and every
// long operation, each run as a job (one at a time, cancellable by id, one final event).

import { transfer } from 'comlink';
import { Gpu } from '../gpu/gpu';
import { runSelfCheck } from '../ops/selfcheck';
import { builtinEvalSets, type BuiltinEvalSets } from './builtin-eval-sets';
import type { BlobStore, CachedModelInfo, ModelCache } from '../storage/cache';
import { LocalFiles } from './local-files';
import type {
  AdapterInfo,
  ChatExample,
  ChatMessage,
  ChatOptions,
  ChatReply,
  CheckResult,
  DeviceReport,
  EvaluateModelsRequest,
  JudgeChoice,
  GeneratedRow,
  GenerateRequest,
  LoadDetail,
  MixRequest,
  MixResult,
  ModelRequest,
  ReplayPair,
  ReplaySetRequest,
  ModelSummary,
  StudioApi,
  TrainConfig,
  TrainEvent,
  TrainRequest,
  TrainResult,
} from './api';
import { generateTexts } from './inference';
import { withJudge } from './judges';
import type { Judge } from '../safety/judges/judge';
import { buildReplaySet, defaultReplayDomains, defaultRequireRefusal, isEmbeddedModelName, type ReplaySetPair, type ReplaySetResult } from './replay';
import { mixReplaySet, replaySetToJsonl } from './replay-set';
import { AppRunStores, runEmbeddedExperiment, type ExperimentRequest } from './experiment-job';
import type { ExperimentOutcome, ExperimentProgress } from './experiment-run';
import { experimentSnapshot, presetInfo, worldOverview, type ExperimentSnapshot, type PresetInfo, type WorldOverview } from './app-views';
import { experimentWorld, worldTaskExamples } from './experiment-data';
import type { RecordStore } from '../storage/record-store';
import { JobCancelledError, JobQueue, progressOf, type JobId, type JobListener, type JobProgress } from './jobs';
import { loadModel } from './load-model';
import { ModelSession } from './model-session';
import { loadRunAdapter, runAdapterFiles } from './run-adapters';
import { createTraining, trainingFit, type TrainingFit } from './training';
import { evaluateModels, type ModelEvaluation } from './evaluate-job';
import type { EvalRow } from './eval-summary';
import { trlRecipeZip } from './experiment-trl';
import { readUserDataset, type UserDataset } from './user-data';
import { destroyAdaptation, paperTrainConfig, type TrainOverrides } from './training-config';
import { runTraining, type TrainingRecord } from './training-run';

export interface EngineOptions {
  /** The offline model cache; default: OPFS, else the Cache API, else memory. */
  cache?: () => Promise<ModelCache>;
  /** Where experiment runs are kept; default: IndexedDB, else memory. */
  experimentRecords?: RecordStore;
  /** Where a run's checkpoints and adapter weights are kept; default: OPFS, else the records. */
  runBlobs?: () => Promise<BlobStore | null>;
}

/** Events that carry bytes move them to the page instead of copying (a no-op outside a worker). */
function withTransfer<T extends object>(event: T, bytes: Uint8Array[]): T {
  return bytes.length ? transfer(event, bytes.map((b) => b.buffer as ArrayBuffer)) : event;
}

export class StudioEngine implements StudioApi {
  private gpu: Promise<Gpu> | null = null;
  private session: ModelSession | null = null;
  private readonly local: LocalFiles;
  private jobs = new JobQueue();
  private nextAdapter = 1;
  private readonly runs: AppRunStores;

  constructor(options: EngineOptions = {}) {
    this.local = new LocalFiles(options.cache);
    this.runs = new AppRunStores({ records: options.experimentRecords, blobs: options.runBlobs });
  }

  private getGpu(): Promise<Gpu> {
    if (!this.gpu) {
      this.gpu = Gpu.create();
      // A failed acquisition must not stick: the user may fix the browser flags and retry.
      this.gpu.catch(() => (this.gpu = null));
    }
    return this.gpu;
  }

  private requireSession(): ModelSession {
    if (!this.session) throw new Error('No model is loaded: load one first.');
    return this.session;
  }

  async describeDevice(): Promise<DeviceReport> {
    const { device: _device, ...report } = (await this.getGpu()).info;
    return report;
  }

  async deviceLost(): Promise<string> {
    const lost = await (await this.getGpu()).info.device.lost;
    return `${lost.reason}: ${lost.message}`;
  }

  selfCheck(listener: JobListener<CheckResult, CheckResult[]>): JobId {
    return this.jobs.start(
      'selfcheck',
      async ({ signal, progress }) => {
        const t0 = performance.now();
        return runSelfCheck(await this.getGpu(), { signal, onResult: (r, done, total) => progress(progressOf('check', 'items', done, total, t0, r)) });
      },
      listener,
    );
  }

  async keepFile(name: string, bytes: Uint8Array): Promise<boolean> {
    return this.local.keep(name, bytes);
  }

  async keptFile(name: string): Promise<Uint8Array | null> {
    const bytes = await this.local.read(name);
    return bytes ? withTransfer(bytes, [bytes]) : null;
  }

  async builtinEvalSets(): Promise<BuiltinEvalSets> {
    return builtinEvalSets();
  }

  async cachedModels(): Promise<CachedModelInfo[]> {
    return this.local.cachedModels();
  }

  async deleteCachedModel(modelId: string): Promise<void> {
    await this.local.deleteCachedModel(modelId, this.session?.source.id ?? null);
  }

  loadModel(request: ModelRequest, listener: JobListener<LoadDetail, ModelSummary>): JobId {
    return this.jobs.start(
      'load',
      async ({ signal, progress }) => {
        const gpu = await this.getGpu();
        const source = await this.local.modelSource(request, signal, progress);
        this.unload();
        const t0 = performance.now();
        const loaded = await loadModel(gpu, source, {
          signal,
          onProgress: (p) => progress(progressOf('upload', 'bytes', p.bytesDone, p.bytesTotal, t0, { file: p.name })),
        });
        this.session = new ModelSession(loaded, source);
        const { cfg } = loaded;
        const world = isEmbeddedModelName(await this.requireSession().modelName());
        return {
          world,
          id: loaded.id,
          architecture: cfg.architecture,
          parameters: loaded.parameters,
          layers: cfg.nLayers,
          hidden: cfg.hidden,
          vocab: cfg.vocabSize,
          chatTemplate: loaded.template !== null,
          weightBytes: loaded.parameters * 4,
        };
      },
      listener,
    );
  }

  chat(messages: ChatMessage[], options: ChatOptions, listener: JobListener<never, ChatReply>): JobId {
    return this.jobs.start(
      'chat',
      async ({ signal }) => {
        const { loaded } = this.requireSession();
        const t0 = performance.now();
        const [reply] = await generateTexts(loaded, [messages], {
          chat: true,
          maxNewTokens: options.maxNewTokens,
          sampling: { temperature: options.temperature, topP: options.topP, seed: options.seed },
          batchSize: 1,
          signal,
        });
        return { text: reply.completion, tokens: reply.tokens.length, finish: reply.finish, ms: performance.now() - t0 };
      },
      listener,
    );
  }

  generate(request: GenerateRequest, listener: JobListener<GeneratedRow[], GeneratedRow[]>): JobId {
    return this.jobs.start(
      'generate',
      async ({ signal, progress }) => {
        const { loaded } = this.requireSession();
        const rows: GeneratedRow[] = [];
        const t0 = performance.now();
        try {
          await generateTexts(loaded, request.prompts, {
            chat: request.chat,
            maxNewTokens: request.maxNewTokens,
            sampling: { temperature: request.temperature, topP: request.topP, seed: request.seed },
            batchSize: request.batchSize,
            signal,
            onBatch: (start, results) => {
              const batch = results.map((r, i) => ({ index: start + i, text: r.completion, tokens: r.tokens.length, finish: r.finish }));
              rows.push(...batch);
              progress(progressOf('generate', 'items', rows.length, request.prompts.length, t0, batch));
            },
          });
        } catch (e) {
          if (signal.aborted) throw new JobCancelledError(rows); // the finished batches are kept
          throw e;
        }
        return rows;
      },
      listener,
    );
  }

  train(request: TrainRequest, listener: JobListener<TrainEvent, TrainResult>): JobId {
    const event = (payload: TrainEvent, record: TrainingRecord): JobProgress<TrainEvent> => ({ phase: 'train', unit: 'steps', done: record.steps.done, total: record.steps.total, rate: null, etaSec: null, payload });
    return this.jobs.start(
      'train',
      async ({ signal, progress }) => {
        const session = this.requireSession();
        const { loaded } = session;
        const config = paperTrainConfig(request.config);
        const setup = createTraining(await this.getGpu(), loaded, request.train, config, { eval: request.eval });
        const { trainer } = setup;
        let kept = false;
        try {
          const outcome = await runTraining(loaded, setup, {
            signal,
            checkpointEvery: request.checkpointEvery ?? 0,
            resumeFrom: request.resume ? { bytes: request.resume.checkpoint, name: 'checkpoint' } : undefined,
            record: request.resume?.record,
            onProgress: ({ payload, ...p }) => progress(payload ? { ...p, payload: { kind: 'point', point: payload } } : p),
            onRecord: async (record) => progress(event({ kind: 'record', record }, record)),
            onCheckpoint: async (bytes, record) => progress(withTransfer(event({ kind: 'checkpoint', bytes, record }, record), [bytes])),
          });
          if (outcome.status === 'diverged') throw new Error(outcome.record.error ?? 'Training diverged.');
          if (outcome.status === 'paused') return { record: outcome.record, adapterId: null };
          const id = `adapter-${this.nextAdapter++}`;
          session.adapters.set(id, { id, name: request.name ?? `${config.method} run ${id}`, adaptation: setup.adaptation, record: outcome.record });
          kept = true;
          return { record: outcome.record, adapterId: id };
        } finally {
          trainer.destroy();
          if (!kept) destroyAdaptation(loaded.model, setup.adaptation);
        }
      },
      listener,
    );
  }


  replay(request: ReplaySetRequest, listener: JobListener<ReplaySetPair[], ReplaySetResult>): JobId {
    return this.jobs.start(
      'replay',
      async ({ signal, progress }) => {
        const { loaded } = this.requireSession();
        const { judge: choice, ...options } = request;
        const name = await this.requireSession().modelName();
        const domains = options.domains ?? defaultReplayDomains(name);
        const requireRefusal = options.requireRefusal ?? defaultRequireRefusal(name);
        return this.withJudge(choice, signal, progress, (judge) => buildReplaySet(loaded, { ...options, domains, requireRefusal, judge }, { signal, onProgress: progress }));
      },
      listener,
    );
  }

  evaluate(request: EvaluateModelsRequest, listener: JobListener<EvalRow[], ModelEvaluation[]>): JobId {
    return this.jobs.start(
      'evaluate',
      async ({ signal, progress }) => {
        const session = this.requireSession();
        return this.withJudge(request.judge, signal, progress, (judge) => evaluateModels(session.loaded, request, judge, (id) => session.adapter(id), { signal, onProgress: progress }));
      },
      listener,
    );
  }

  /** The judge a job asked for, opened for `work`; a judge model's download and upload are the job's phases 'judge-download' and 'judge-upload'. */
  private async withJudge<R>(choice: JudgeChoice, signal: AbortSignal, progress: (p: JobProgress<never>) => void, work: (judge: Judge) => Promise<R>): Promise<R> {
    const loading = ({ payload: _file, ...p }: JobProgress<LoadDetail>) => progress({ ...p, phase: `judge-${p.phase}` });
    const judged = { id: this.requireSession().loaded.id, world: isEmbeddedModelName(await this.requireSession().modelName()) };
    return withJudge(choice, { source: (model) => this.local.modelSource(model, signal, loading), gpu: () => this.getGpu(), signal, judged }, work);
  }

  experiment(request: ExperimentRequest, listener: JobListener<ExperimentProgress, ExperimentOutcome>): JobId {
    return this.jobs.start(
      'experiment',
      async ({ signal, progress }) => {
        const { loaded } = this.requireSession();
        const name = await this.requireSession().modelName();
        const store = this.runs.store(request.runId);
        loaded.model.detach(); // every unit trains its own adapter from the base model
        return runEmbeddedExperiment(await this.getGpu(), loaded, name, request, store, {
          signal,
          onProgress: (p) => progress({ phase: p.phase, done: p.unitIndex, total: p.units, unit: 'items', rate: null, etaSec: p.etaSec, payload: p }),
        });
      },
      listener,
    );
  }

  async experimentSnapshot(runId: string): Promise<ExperimentSnapshot | null> {
    return experimentSnapshot(this.runs.store(runId), runId);
  }

  async presetInfo(name: string): Promise<PresetInfo> {
    return presetInfo(name);
  }

  async worldOverview(): Promise<WorldOverview> {
    return worldOverview(experimentWorld(0)); // the world the experiment runs in
  }

  async trainDefaults(method: 'lora' | 'full'): Promise<TrainConfig> {
    return paperTrainConfig({ method });
  }

  async replaySetJsonl(pairs: ReplayPair[]): Promise<string> {
    return replaySetToJsonl(pairs);
  }

  async worldTask(task: string, split: 'train' | 'validation' | 'test', count: number): Promise<ChatExample[]> {
    return worldTaskExamples(task, split, count);
  }

  async readUserDataset(fileName: string, text: string, seed = 0): Promise<UserDataset> {
    return readUserDataset(fileName, text, seed);
  }

  async trainingFit(overrides: TrainOverrides): Promise<TrainingFit> {
    const config = paperTrainConfig(overrides);
    return trainingFit(await this.getGpu(), this.requireSession().loaded.cfg, config, config.maxLength);
  }

  async exportTrlRecipe(runs: { name: string; config: TrainOverrides; examples: ChatExample[] }[]): Promise<Uint8Array> {
    return trlRecipeZip(this.requireSession().loaded.id, runs);
  }

  async mixReplay(request: MixRequest): Promise<MixResult> {
    return mixReplaySet(request.task, request.replay, request.settings);
  }

  async adapters(): Promise<AdapterInfo[]> {
    return this.session?.list() ?? [];
  }

  async attachAdapter(id: string | null): Promise<void> {
    await this.jobs.idle(); // never swap weights under a running job
    this.requireSession().attach(id);
  }

  async deleteAdapter(id: string): Promise<void> {
    await this.jobs.idle();
    this.requireSession().delete(id);
  }

  async exportAdapter(id: string): Promise<Record<string, Uint8Array>> {
    await this.jobs.idle();
    const files = await this.requireSession().exportFiles(id);
    return withTransfer(Object.fromEntries(files), [...files.values()]);
  }

  async exportRunAdapter(runId: string, unit: string): Promise<Record<string, Uint8Array>> {
    const files = await runAdapterFiles(this.runs.store(runId), runId, unit);
    return withTransfer(files, Object.values(files));
  }

  async useRunAdapter(runId: string, unit: string): Promise<string> {
    await this.jobs.idle();
    const session = this.requireSession();
    const id = `run:${runId}/${unit}`;
    if (!session.adapters.has(id)) {
      const { adapter, name, record } = await loadRunAdapter(await this.getGpu(), session.loaded, this.runs.store(runId), runId, unit);
      session.adapters.set(id, { id, name, adaptation: { kind: 'lora', adapter }, record });
    }
    return id;
  }

  cancel(id: JobId): void {
    this.jobs.cancel(id);
  }

  private unload(): void {
    this.session?.destroy();
    this.session = null;
  }

  dispose(): void {
    this.jobs.cancelAll();
    this.unload();
    void this.gpu?.then((g) => g.destroy());
    this.gpu = null;
  }
}
