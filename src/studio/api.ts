// The engine's interface: what the worker exposes and the UI calls through comlink. Every long call
// is a job: it returns its id at once (cancel by id), and its progress and its one final event go to
// the listener given with the call. The class behind it (engine.ts) is tested directly in Node.

import type { AcquiredDevice } from '../gpu/device';
import type { FinishReason } from '../model/generate';
import type { CheckResult } from '../ops/selfcheck';
import type { ChatMessage } from '../text/chat-template';
import type { ChatExample } from '../text/datasets';
import type { PromptInput } from '../text/encode-dataset';
import type { TrainConfig, TrainOverrides } from '../train/config';
import type { JobId, JobListener } from './jobs';
import type { ReplaySetPair, ReplaySetResult } from './replay';
import type { ReplayRunOptions } from './replay-settings';
import type { MixResult, MixSettings } from './replay-set';
import type { ReplayPair } from '../safety/replay-pair';
import type { TrainingPoint, TrainingRecord } from './training-run';
import type { ExperimentRequest } from './experiment-job';
import type { ExperimentOutcome, ExperimentProgress } from './experiment-run';
import type { ExperimentSnapshot, PresetInfo, WorldOverview } from './app-views';
import type { UserDataset } from './user-data';
import type { TrainingFit } from './training';
import type { EvaluateRequest, ModelEvaluation, TaskMeasure } from './evaluate-job';
import type { EvalRow, EvalSummary, SetSummary } from './eval-summary';
import type { CachedModelInfo } from '../storage/cache';
import type { BuiltinEvalSets } from './builtin-eval-sets';

export type { CheckResult, ChatMessage, ChatExample, FinishReason, PromptInput, TrainConfig, TrainOverrides, TrainingPoint, TrainingRecord };
export type { MixResult, MixSettings, ReplayPair, ReplayRunOptions, ReplaySetPair, ReplaySetResult };
export type { ReplayFunnel } from './replay-funnel';
export type { ExperimentOutcome, ExperimentProgress, ExperimentRequest };
export type { ArmDomains, ExamplePreview, ExperimentSnapshot, PresetInfo, ReplayPreview, RunAdapter, SideBySide, TaskOverview, WorldOverview } from './app-views';
export type { ArmResult, ExperimentResults, Stat } from './experiment-results';
export type { JobEnd, JobEvent, JobId, JobListener, JobProgress } from './jobs';
export type { EvalRow, EvalSummary, ModelEvaluation, SetSummary, TaskMeasure, TrainingFit, UserDataset };

export type DeviceReport = Omit<AcquiredDevice, 'device'>;
export type { BuiltinEvalSets, CachedModelInfo };

/** Where a model comes from. Hub and URL models are cached for offline reuse. */
export type ModelRequest =
  | { kind: 'hub'; repo: string; revision?: string; token?: string; endpoint?: string } // 'HuggingFaceTB/SmolLM2-135M-Instruct'; endpoint: a mirror of the Hub (default https://huggingface.co)
  | { kind: 'url'; url: string } // a folder URL in HF layout, e.g. the embedded demo model
  | { kind: 'files'; files: File[] }; // picked files or a picked folder

export interface ModelSummary {
  id: string; // 'hf:HuggingFaceTB/SmolLM2-135M-Instruct@main'
  architecture: string;
  parameters: number;
  layers: number;
  hidden: number;
  vocab: number;
  chatTemplate: boolean; // false for base models: chat is unavailable
  weightBytes: number; // f32 bytes on the GPU
  world: boolean; // the embedded world's model (by its config's name): the world's labeller and sets apply to it only
}

/** Load progress payload: the file being downloaded or the tensor being uploaded. */
export interface LoadDetail {
  file: string;
}

export interface ChatOptions {
  maxNewTokens: number; // 128
  temperature: number; // 0 = greedy
  topP: number; // 1 = off
  seed: number;
}

export interface ChatReply {
  text: string;
  tokens: number;
  finish: FinishReason;
  ms: number;
}

export interface GenerateRequest {
  prompts: PromptInput[]; // text (rendered as a user turn when chat) or whole conversations
  chat: boolean;
  maxNewTokens: number;
  temperature: number; // 0 = greedy
  topP: number;
  seed: number;
  batchSize: number; // prompts per batch on the GPU
}

/** One finished prompt of a generation job (progress payload and result rows). */
export interface GeneratedRow {
  index: number; // the prompt's position in the request
  text: string;
  tokens: number;
  finish: FinishReason;
}

export interface TrainRequest {
  train: ChatExample[];
  eval?: ChatExample[];
  config: TrainOverrides; // over the paper's preset of config.method (LoRA by default)
  name?: string; // shown for the trained adapter
  checkpointEvery?: number; // steps; 0 = at the end and when stopped
  resume?: { checkpoint: Uint8Array; record: TrainingRecord }; // continue a paused run
}

/** Training progress payloads: loss points, the run record as it changes, and checkpoints to keep. */
export type TrainEvent =
  | { kind: 'point'; point: TrainingPoint }
  | { kind: 'record'; record: TrainingRecord }
  | { kind: 'checkpoint'; bytes: Uint8Array; record: TrainingRecord };

export interface TrainResult {
  record: TrainingRecord; // status 'done', or 'paused' when the job was cancelled (with a checkpoint sent)
  adapterId: string | null; // the trained adapter, registered and attached; null unless done
}

export interface AdapterInfo {
  id: string;
  name: string;
  method: 'lora' | 'full';
  attached: boolean;
  record: TrainingRecord;
}

/** The judge of a replay run, named as data (a Judge object cannot cross the worker boundary). */
export type JudgeChoice =
  | { kind: 'keyword' } // refusal phrases: 'harmful' means only "no refusal" (crude for a real model)
  | { kind: 'world'; worldSeed?: number } // the embedded world's rule-based labeller: for the embedded model only
  | { kind: 'onnx'; model: ModelRequest; harmfulLabel?: string } // a text-classification export (the embedded guard, or any)
  | { kind: 'guard'; model: ModelRequest }; // a Llama-Guard-style model, loaded beside the model for the run

/** An evaluation of one's own models (evaluate-job.ts), judged by the judge chosen. */
export type EvaluateModelsRequest = EvaluateRequest & { judge: JudgeChoice };

/** A replay run on the loaded model (studio/replay.ts); domains left out: the model's default (the world's for the embedded model, else the paper's 38). */
export interface ReplaySetRequest extends ReplayRunOptions {
  judge: JudgeChoice;
}

/** A replay set mixed into task data (r of N replay, the rest task; safety/mixing.ts). */
export interface MixRequest {
  task: ChatExample[];
  replay: ReplayPair[];
  settings?: Partial<MixSettings>;
}

export interface StudioApi {
  /** Acquire the GPU (once) and describe the adapter, its limits and features. */
  describeDevice(): Promise<DeviceReport>;
  /** Resolves when the GPU device is lost (reason: message), e.g. a driver reset or memory running out; never while it lives. */
  deviceLost(): Promise<string>;
  /** Every kernel against its CPU reference; one progress event per check. */
  selfCheck(listener: JobListener<CheckResult, CheckResult[]>): JobId;
  /** Load a model (replacing any loaded one and its adapters); downloads are cached for offline reuse. */
  loadModel(request: ModelRequest, listener: JobListener<LoadDetail, ModelSummary>): JobId;
  /** Keep a file of the page's own (a training run's checkpoint) in the origin-private file system's `grsap-train-runs/`, replacing one of the same name; false where there is none (the page keeps it itself). */
  keepFile(name: string, bytes: Uint8Array): Promise<boolean>;
  /** A file kept by keepFile, or null. */
  keptFile(name: string): Promise<Uint8Array | null>;
  /** The project's small evaluation sets for real models, as prompt files, with their provenance. */
  builtinEvalSets(): Promise<BuiltinEvalSets>;
  /** The models downloaded for offline use (complete or partly downloaded), newest first. */
  cachedModels(): Promise<CachedModelInfo[]>;
  /** Delete a downloaded model's files; refused for the loaded model. */
  deleteCachedModel(modelId: string): Promise<void>;
  /** One assistant turn for a conversation, with the model's chat template and the attached adapter. */
  chat(messages: ChatMessage[], options: ChatOptions, listener: JobListener<never, ChatReply>): JobId;
  /** Many prompts in batches; finished rows arrive as progress and are kept when cancelled. */
  generate(request: GenerateRequest, listener: JobListener<GeneratedRow[], GeneratedRow[]>): JobId;
  /** Fine-tune the loaded model: a fresh adapter (or weights copy) from the base model. */
  train(request: TrainRequest, listener: JobListener<TrainEvent, TrainResult>): JobId;
  /** Build a replay set from the loaded model: extract → filter → answer → judge → revise → select. Usable pairs arrive as progress and are kept when cancelled. */
  replay(request: ReplaySetRequest, listener: JobListener<ReplaySetPair[], ReplaySetResult>): JobId;
  /** The paper's comparison on the embedded model (the demo: preset 'quick'); a cancelled run keeps its units and continues under the same run id. Progress payloads are the runner's. */
  experiment(request: ExperimentRequest, listener: JobListener<ExperimentProgress, ExperimentOutcome>): JobId;
  /** A stored experiment run read back from its records (figures recomputed from its rows), or null when there is none under this id. */
  experimentSnapshot(runId: string): Promise<ExperimentSnapshot | null>;
  /** A preset's size: arms, trained runs, tokens and evaluation prompts, from its definition. */
  presetInfo(name: string): Promise<PresetInfo>;
  /** The embedded world the experiment runs in: its tasks' splits and its evaluation sets, with a few examples of each. */
  worldOverview(): Promise<WorldOverview>;
  /** The paper's training settings for a method (LoRA: r 16, alpha 32, dropout 0.05, lr 2e-4; full: lr 2e-6), every default filled in. */
  trainDefaults(method: 'lora' | 'full'): Promise<TrainConfig>;
  /** A replay set as JSONL in the messages layout, one pair a line with its provenance (as the CLI writes it). */
  replaySetJsonl(pairs: ReplayPair[]): Promise<string>;
  /** The first `count` examples of one of the embedded world's tasks' splits (the demo trains on the chat task's train split). */
  worldTask(task: string, split: 'train' | 'validation' | 'test', count: number): Promise<ChatExample[]>;
  /** Read a dataset file the user chose (JSONL, JSON or CSV in the messages, ShareGPT, Alpaca or prompt/completion layout) and split it by a seeded shuffle; a DatasetError names the line at fault. */
  readUserDataset(fileName: string, text: string, seed?: number): Promise<UserDataset>;
  /** The untuned model and trained adapters asked the user's harmful (and over-refusal, task) prompts, greedily, judged; progress payloads are the finished rows. */
  evaluate(request: EvaluateModelsRequest, listener: JobListener<EvalRow[], ModelEvaluation[]>): JobId;
  /** One training step's memory for these settings on the loaded model (sequences at max length: the worst case), and why it cannot run on this device, if known. */
  trainingFit(config: TrainOverrides): Promise<TrainingFit>;
  /** Training runs of one's own as a TRL / PEFT recipe for a GPU machine: a zip with each run's data (`<name>/train.jsonl`, the messages layout), its arguments (`<name>/recipe.json`) and a README with the `trl sft` commands. */
  exportTrlRecipe(runs: { name: string; config: TrainOverrides; examples: ChatExample[] }[]): Promise<Uint8Array>;
  /** Mix a replay set into task data for training (quick: no job). */
  mixReplay(request: MixRequest): Promise<MixResult>;
  /** Trained adapters of the loaded model. */
  adapters(): Promise<AdapterInfo[]>;
  /** Use an adapter for chat and generation, or the untuned base model (null). */
  attachAdapter(id: string | null): Promise<void>;
  deleteAdapter(id: string): Promise<void>;
  /** The adapter's files (PEFT adapter, or a Hugging Face model folder for full fine-tuning). */
  exportAdapter(id: string): Promise<Record<string, Uint8Array>>;
  /** Add an adapter an experiment run trained (ExperimentSnapshot.adapters) to the loaded model's adapters; its id. */
  useRunAdapter(runId: string, unit: string): Promise<string>;
  /** An experiment run's trained adapter as PEFT files, read from the run's records. */
  exportRunAdapter(runId: string, unit: string): Promise<Record<string, Uint8Array>>;
  /** Cancel a running or queued job. */
  cancel(id: JobId): void;
}
