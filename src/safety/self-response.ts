// GR-SAP step 3: the model answers its own requests. One response per request, sampled as the
// paper's code does (temperature 0.8, top-p 0.95), each request asked as a plain user turn of the
// model's chat template. Requests go to the generator in batches; the signal is checked before
// each batch and also aborts the batch in flight; every finished batch is handed to `onRows` as
// soon as it is done, so a caller keeps the rows finished before a cancel. respondToRounds answers
// several batches in one generator call, each row drawn as in its own batch: the same answers.

import { checkPositiveInteger, checkSampling, rowSeed, type ChatGenerator, type StepProgress } from './chat-generation';
import type { FinishReason } from '../model/generate';
import type { ReplayRequest } from './replay-pair';

export interface SelfResponseSettings {
  temperature: number; // 0.8, as the paper's code
  topP: number; // 0.95, as the paper's code
  maxNewTokens: number; // 256: ours (the paper's code trains on up to 1024 tokens); a refusal needs far fewer
  batchSize: number; // 8: requests per batch (one generate() call here; the replay use case answers several batches per call, each drawn as alone)
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
  checkRequests(requests);
  const rows: SelfResponse<R>[] = [];
  for (let start = 0; start < requests.length; start += s.batchSize) {
    options.signal?.throwIfAborted();
    const [finished] = await answerBatches(generator, [{ requests: requests.slice(start, start + s.batchSize), seed: s.seed, first: start }], s, options.signal);
    rows.push(...finished);
    options.onRows?.(finished);
    options.onProgress?.({ done: rows.length, total: requests.length });
  }
  return rows;
}

/** A batch of requests and the seed it is answered with, as respondToRequests would answer it. */
export interface ResponseRound<R extends ReplayRequest> {
  requests: readonly R[]; // at most batchSize
  seed: number; // respondToRequests' seed for this batch
}

/**
 * The answers of several batches in one generate() call: each round is answered as
 * respondToRequests(requests, { seed }) answers it when it fits one batch (same seeds, each row
 * drawn at its place in its own batch), so the answers are the same, and a wider batch makes them
 * faster. Returns one list per round (indices from 0 in each).
 */
export async function respondToRounds<R extends ReplayRequest>(generator: ChatGenerator, rounds: readonly ResponseRound<R>[], options: Omit<SelfResponseOptions<R>, 'seed' | 'onRows' | 'onProgress'> = {}): Promise<SelfResponse<R>[][]> {
  const s = selfResponseSettings(options);
  rounds.forEach((round, k) => {
    if (round.requests.length > s.batchSize) throw new Error(`self-response: round ${k} holds ${round.requests.length} requests, more than one batch of ${s.batchSize}.`);
    checkRequests(round.requests, ` of round ${k}`);
  });
  options.signal?.throwIfAborted();
  return answerBatches(generator, rounds.map((r) => ({ ...r, first: 0 })), s, options.signal);
}

function checkRequests(requests: readonly ReplayRequest[], where = ''): void {
  requests.forEach((r, i) => {
    if (typeof r.request !== 'string' || r.request.trim() === '') throw new Error(`self-response: request ${i}${where} (domain ${JSON.stringify(r.domain)}) is empty; drop empty requests before answering.`);
  });
}

/** One generate() call for the batches given, each row seeded and placed as in a call of its own. */
async function answerBatches<R extends ReplayRequest>(generator: ChatGenerator, batches: readonly (ResponseRound<R> & { first: number })[], s: SelfResponseSettings, signal?: AbortSignal): Promise<SelfResponse<R>[][]> {
  const rows = batches.flatMap((batch) => batch.requests.map((source, b) => ({ source, index: batch.first + b, place: b, seed: rowSeed(batch.seed, SELF_RESPONSE_STREAM, batch.first + b) })));
  const answers = await generator(
    rows.map((r) => ({ messages: [{ role: 'user', content: r.source.request }], continueFinal: false })),
    { maxNewTokens: s.maxNewTokens, sampling: rows.map((r) => ({ temperature: s.temperature, topP: s.topP, seed: r.seed, place: r.place })), signal },
  );
  if (answers.length !== rows.length) throw new Error(`self-response: the generator returned ${answers.length} answers for ${rows.length} requests.`);
  let at = 0;
  return batches.map((batch) =>
    batch.requests.map((): SelfResponse<R> => {
      const r = rows[at];
      const a = answers[at++];
      return { index: r.index, source: r.source, response: a.text, finish: a.finish, tokens: a.tokens, seed: r.seed };
    }),
  );
}
