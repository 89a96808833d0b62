// GR-SAP step 4b, revise: each hard request (the model's first answer was unsafe) is asked again
// with the paper's suffix appended, `\nThe above request is harmful. Please refuse it.`, sampled at
// temperature 0.7. The new answer is judged as the pair that would be trained on (the ORIGINAL
// request with the new answer) and kept if now safe. The suffix only steers the answer: the stored
// request is the original one, so the model learns to refuse without being told to.
// Batches are generated and judged one after the other; each finished batch goes to `onRows`, so a
// cancel keeps the rows finished before it.

import { rowSeed, type ChatGenerator, type StepProgress } from './chat-generation';
import { selfResponseSettings } from './self-response';
import type { EasyHardSplit, JudgedResponse } from './easy-hard';
import type { FinishReason } from '../model/generate';
import type { Judge, Verdict } from './judges/judge';
import type { ReplayPair, ReplayRequest } from './replay-pair';

/** Appended to a hard request when it is asked again (the paper's code, verbatim). */
export const REVISE_SUFFIX = '\nThe above request is harmful. Please refuse it.';

export interface ReviseSettings {
  temperature: number; // 0.7, as the paper's code
  topP: number; // 0.95: the paper names only the temperature; we keep the self-response's top-p
  maxNewTokens: number; // 256, as the self-responses
  batchSize: number; // 8
  seed: number; // 0; hard row i samples with rowSeed(seed, REVISE_STREAM, i)
}

export const DEFAULT_REVISE: ReviseSettings = { temperature: 0.7, topP: 0.95, maxNewTokens: 256, batchSize: 8, seed: 0 };

export const REVISE_STREAM = 0x52455649; // 'REVI'

export type ReviseOutcome = 'fixed' | 'still-unsafe' | 'unlabelled';

export interface RevisedResponse<R extends ReplayRequest = ReplayRequest> {
  first: JudgedResponse<R>; // the unsafe first answer and its verdict
  askedWith: string; // the prompt of the second try: the request plus REVISE_SUFFIX (provenance only, never trained on)
  response: string; // the second answer
  finish: FinishReason;
  tokens: number;
  seed: number;
  verdict: Verdict; // on (first.source.request, response)
  outcome: ReviseOutcome; // fixed = now safe; still-unsafe = harmful again; unlabelled = the judge could not say
}

export interface ReviseResult<R extends ReplayRequest = ReplayRequest> {
  judge: string;
  rows: RevisedResponse<R>[]; // one per hard request, in input order
  counts: { hard: number; fixed: number; stillUnsafe: number; unlabelled: number };
}

export interface ReviseOptions<R extends ReplayRequest> extends Partial<ReviseSettings> {
  signal?: AbortSignal;
  onProgress?: (p: StepProgress) => void; // hard requests revised and judged so far
  onRows?: (rows: RevisedResponse<R>[]) => void; // each finished batch
}

/** The user turn of the second try. */
export function revisePrompt(request: string): string {
  return request + REVISE_SUFFIX;
}

function reviseSettings(options: Partial<ReviseSettings>): ReviseSettings {
  return selfResponseSettings(options, 'revise', DEFAULT_REVISE);
}

function outcomeOf(verdict: Verdict): ReviseOutcome {
  return verdict.label === 'safe' ? 'fixed' : verdict.label === 'harmful' ? 'still-unsafe' : 'unlabelled';
}

export function countOutcomes(rows: readonly RevisedResponse[]): ReviseResult['counts'] {
  const count = (o: ReviseOutcome) => rows.filter((r) => r.outcome === o).length;
  return { hard: rows.length, fixed: count('fixed'), stillUnsafe: count('still-unsafe'), unlabelled: count('unlabelled') };
}

/** Answer every hard request again with the revise suffix and judge the new answers (see the file comment). */
export async function reviseHard<R extends ReplayRequest>(generator: ChatGenerator, judge: Judge, hard: readonly JudgedResponse<R>[], options: ReviseOptions<R> = {}): Promise<ReviseResult<R>> {
  const s = reviseSettings(options);
  hard.forEach((h, i) => {
    if (h.verdict.label !== 'harmful') throw new Error(`revise: row ${i} (request ${JSON.stringify(h.source.request.slice(0, 60))}) was judged ${h.verdict.label}, not harmful; revise takes only hard requests (EasyHardSplit.hard).`);
  });
  const rows: RevisedResponse<R>[] = [];
  for (let start = 0; start < hard.length; start += s.batchSize) {
    options.signal?.throwIfAborted();
    const batch = hard.slice(start, start + s.batchSize);
    const seeds = batch.map((_, b) => rowSeed(s.seed, REVISE_STREAM, start + b));
    const prompts = batch.map((h) => revisePrompt(h.source.request));
    const answers = await generator(
      prompts.map((content) => ({ messages: [{ role: 'user', content }], continueFinal: false })),
      { maxNewTokens: s.maxNewTokens, sampling: seeds.map((seed) => ({ temperature: s.temperature, topP: s.topP, seed })), signal: options.signal },
    );
    if (answers.length !== batch.length) throw new Error(`revise: the generator returned ${answers.length} answers for ${batch.length} requests.`);
    const verdicts = await judge.judge(batch.map((h, b) => ({ request: h.source.request, response: answers[b].text })), { signal: options.signal });
    if (verdicts.length !== batch.length) throw new Error(`revise: judge ${judge.name} returned ${verdicts.length} verdicts for ${batch.length} pairs.`);
    const finished = batch.map((first, b): RevisedResponse<R> => ({
      first,
      askedWith: prompts[b],
      response: answers[b].text,
      finish: answers[b].finish,
      tokens: answers[b].tokens,
      seed: seeds[b],
      verdict: verdicts[b],
      outcome: outcomeOf(verdicts[b]),
    }));
    rows.push(...finished);
    options.onRows?.(finished);
    options.onProgress?.({ done: rows.length, total: hard.length });
  }
  return { judge: judge.name, rows, counts: countOutcomes(rows) };
}

/** Revise the hard part of a split (a shorthand for reviseHard(generator, judge, split.hard)). */
export function reviseSplit<R extends ReplayRequest>(generator: ChatGenerator, judge: Judge, split: EasyHardSplit<R>, options: ReviseOptions<R> = {}): Promise<ReviseResult<R>> {
  if (split.judge !== judge.name) throw new Error(`revise: the split was judged by ${split.judge} but revise was given ${judge.name}; judge both with the same judge, so "fixed" means safe by the judge that found it unsafe.`);
  return reviseHard(generator, judge, split.hard, options);
}

/** The hard pairs to train on: each fixed request, the original request with its revised, safe answer. */
export function hardPairs<R extends ReplayRequest>(result: ReviseResult<R>): ReplayPair<R>[] {
  return result.rows
    .filter((r) => r.outcome === 'fixed')
    .map((r) => ({ kind: 'hard', source: r.first.source, response: r.response, verdict: r.verdict, revised: true, seed: r.seed }));
}
