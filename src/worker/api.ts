// The engine's interface as the UI sees it through comlink. The worker exposes one instance;
// the class is tested directly in Node.

import type { AcquiredDevice } from '../gpu/device';
import type { FinishReason } from '../model/generate';
import type { CheckResult } from '../ops/selfcheck';
import type { ChatMessage } from '../text/chat-template';

export type DeviceReport = Omit<AcquiredDevice, 'device'>;

/** Where a model comes from. Hub and URL models are cached for offline reuse. */
export type ModelRequest =
  | { kind: 'hub'; repo: string; revision?: string; token?: string } // 'HuggingFaceTB/SmolLM2-135M-Instruct'
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
}

export interface LoadProgressReport {
  phase: 'download' | 'upload'; // download: into the offline cache; upload: tensors to the GPU
  done: number; // bytes
  total: number | null; // bytes, when known
  rateBytesPerSec: number | null;
  etaSec: number | null;
  file: string; // the file or tensor being handled
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

export interface StudioApi {
  /** Acquire the GPU (once) and describe the adapter, its limits and features. */
  describeDevice(): Promise<DeviceReport>;
  /** Run every kernel against its CPU reference; `onResult` is called per op. */
  selfCheck(onResult?: (r: CheckResult, done: number, total: number) => void): Promise<CheckResult[]>;
  /** Load a model (replacing any loaded one); downloads are cached for offline reuse. */
  loadModel(request: ModelRequest, onProgress?: (p: LoadProgressReport) => void): Promise<ModelSummary>;
  /** One assistant turn for a conversation, with the model's chat template. */
  chat(messages: ChatMessage[], options: ChatOptions): Promise<ChatReply>;
  /** Cancel the running load or generation. */
  cancel(): void;
}
