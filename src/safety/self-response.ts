// GR-SAP step 3: the model answers its own requests. One response per request, sampled as the
// paper's code does (temperature 0.8, top-p 0.95), each request asked as a plain user turn of the
// model's chat template. Requests go to the generator in batches; the signal is checked before
// each batch and also aborts the batch in flight; every finished batch is handed to `onRows` as
// soon as it is done, so a caller keeps the rows finished before a cancel.

import { checkPositiveInteger, checkSampling, rowSeed, type ChatGenerator, type StepProgress } from './chat-generation';
import type { FinishReason } from '../model/generate';
import type { ReplayRequest } from './replay-pair';

export interface SelfResponseSettings {
  temperature: number; // 0.8, as the paper's code
  topP: number; // 0.95, as the paper's code
  maxNewTokens: number; // 256: ours (the paper's code trains on up to 1024 tokens); a refusal needs far fewer
  batchSize: number; // requests per generate() call: 8
  seed: number; // 0; request i samples with rowSeed(seed, SELF_RESPONSE_STREAM, i)
}

export const DEFAULT_SELF_RESPONSE: SelfResponseSettings = { temperature: 0.8, topP: 0.95, maxNewTokens: 256, batchSize: 8, seed: 0 };

export const SELF_RESPONSE_STREAM = 0x53454c46; // 'SELF'

export interface SelfResponse<R extends ReplayRequest = ReplayRequest> {
  index: number; // position of the request in the input
  source: R; // the request as given, provenance included
  response: string; // the model's answer, end-of-turn token left out
  finish: FinishReason; // 'length' means the answer was cut at maxNewTokens
  tokens: number; // new tokens generated
  seed: number; // this row's sampling seed
}

export interface SelfResponseOptions<R extends ReplayRequest> extends Partial<SelfResponseSettings> {
  signal?: AbortSignal; // rejects with the signal's reason; the rows already given to onRows stay valid
  onProgress?: (p: StepProgress) => void; // after each batch
  onRows?: (rows: SelfResponse<R>[]) => void; // each finished batch, in order
}

/** Settings filled from `defaults` (the self-responses' unless given) and checked; errors name `where`. */
export function selfResponseSettings(options: Partial<SelfResponseSettings>, where = 'self-response', defaults: SelfResponseSettings = DEFAULT_SELF_RESPONSE): SelfResponseSettings {
  const s: SelfResponseSettings = {
    temperature: options.temperature ?? defaults.temperature,
    topP: options.topP ?? defaults.topP,
    maxNewTokens: options.maxNewTokens ?? defaults.maxNewTokens,
    batchSize: options.batchSize ?? defaults.batchSize,
    seed: options.seed ?? defaults.seed,
  };
  checkSampling(where, s.temperature, s.topP);
  checkPositiveInteger(where, 'maxNewTokens', s.maxNewTokens);
  checkPositiveInteger(where, 'batchSize', s.batchSize);
  if (!Number.isInteger(s.seed) || s.seed < 0) throw new Error(`${where}: seed must be an integer ≥ 0, got ${s.seed}.`);
  return s;
}

/** The model's own answer to each request (see the file comment). */
export async function respondToRequests<R extends ReplayRequest>(generator: ChatGenerator, requests: readonly R[], options: SelfResponseOptions<R> = {}): Promise<SelfResponse<R>[]> {
  const s = selfResponseSettings(options);
  requests.forEach((r, i) => {
    if (typeof r.request !== 'string' || r.request.trim() === '') throw new Error(`self-response: request ${i} (domain ${JSON.stringify(r.domain)}) is empty; drop empty requests before answering.`);
  });
  const rows: SelfResponse<R>[] = [];
  for (let start = 0; start < requests.length; start += s.batchSize) {
    options.signal?.throwIfAborted();
    const batch = requests.slice(start, start + s.batchSize);
    const seeds = batch.map((_, b) => rowSeed(s.seed, SELF_RESPONSE_STREAM, start + b));
    const answers = await generator(
      batch.map((r) => ({ messages: [{ role: 'user', content: r.request }], continueFinal: false })),
      { maxNewTokens: s.maxNewTokens, sampling: seeds.map((seed) => ({ temperature: s.temperature, topP: s.topP, seed })), signal: options.signal },
    );
    if (answers.length !== batch.length) throw new Error(`self-response: the generator returned ${answers.length} answers for ${batch.length} requests.`);
    const finished = batch.map((source, b): SelfResponse<R> => ({ index: start + b, source, response: answers[b].text, finish: answers[b].finish, tokens: answers[b].tokens, seed: seeds[b] }));
    rows.push(...finished);
    options.onRows?.(finished);
    options.onProgress?.({ done: rows.length, total: requests.length });
  }
  return rows;
}
