// GR-SAP's replay, as one use case: the loaded model regenerates the requests it was aligned to
// refuse (extraction), they pass the filters (perplexity band, near-duplicates, optionally domain
// relevance), the model answers them, a judge sorts the answers into easy (safe) and hard (unsafe),
// hard requests are asked again with the revise suffix and kept when now safe, and the replay set
// is drawn at the hard ratio. With `benign` on (beyond the paper; off by default), benign replay
// then adds pairs of benign requests the model writes and answers helpfully itself, after the
// selected safety pairs. Each step is src/safety's; this file runs them in order as one job, with
// progress in a phase per step and a funnel of every count (replay-funnel.ts).
//
// After the filters, the requests go through answer → judge → revise in rounds of one answer batch
// (the answers of up to ANSWER_ROWS_PER_CALL requests, several rounds, come from one generate()
// call, each round drawn as if alone), so each round's usable pairs are handed to `onRows` as soon
// as they exist and a cancel keeps every pair finished before it (a JobCancelledError whose `partial` holds them, unselected, with the
// funnel so far). The selection needs every pair, so it runs after the last round; benign replay
// runs after it, batch by batch, so a cancel there keeps the selection and the benign pairs of the
// batches finished.

import { buildBenignReplay, type BenignRequest } from '../safety/benign-replay';
import { batchesPerCall, engineChatGenerator, rowSeed } from '../safety/chat-generation';
import { splitEasyHard } from '../safety/easy-hard';
import { extractRequests, keptRows, type ExtractedRow, type ExtractionStrategy } from '../safety/extraction';
import type { FilterResult } from '../safety/filters/filter';
import { filterByDomainRelevance } from '../safety/filters/domain-relevance';
import { dropNearDuplicates } from '../safety/filters/near-duplicates';
import { filterByPerplexity } from '../safety/filters/perplexity-band';
import { selectAtHardRatio, type ShortagePolicy } from '../safety/hard-ratio';
import { KEYWORD_REFUSAL_JUDGE, KeywordRefusalJudge } from '../safety/judges/keyword-refusal';
import { RefusalRequiredJudge } from '../safety/judges/refusal-required';
import type { ReplayPair, ReplayRequest } from '../safety/replay-pair';
import { hardPairs, reviseHard } from '../safety/revise';
import { respondToRounds, type SelfResponse } from '../safety/self-response';
import { ChatTemplateError } from '../text/chat-template';
import { JobCancelledError, progressOf, type JobProgress } from './jobs';
import type { LoadedModel } from './load-model';
import { FunnelCounter, NO_DOMAIN, type ReplayFunnel } from './replay-funnel';
import { resolveReplaySettings, type ReplaySetOptions, type ReplaySettings } from './replay-settings';

export { defaultReplayDomains, defaultRequireRefusal, isEmbeddedModelName, WORLD_REPLAY_DOMAINS, type ReplayRunOptions, type ReplaySetOptions, type ReplaySettings } from './replay-settings';
export { describeFunnel, NO_DOMAIN, type BenignReplayFunnel, type ReplayFunnel } from './replay-funnel';
export { EXTRACTION_STRATEGIES, GRSAP_DOMAINS } from '../safety/extraction';

/** A replay request with its provenance, as saved with each pair (replayPairToExample writes the scalars as meta). */
export interface ReplaySource extends ReplayRequest {
  strategy: ExtractionStrategy;
  sample: number; // draw index within its (strategy, domain)
  extraction_seed: number; // the sampling seed of the request
  perplexity?: number; // the perplexity band filter's measure
  duplicate_similarity?: number; // highest Jaccard similarity to an earlier kept request
  relevance_rank?: number; // the request's own domain's rank by relevance (1 = first choice)
  first_judge_score?: number; // hard pairs: the judge's score of the unsafe first answer
}

export type { BenignRequest };

/** A safety pair: a regenerated request with a safe answer (easy: the first answer; hard: the revised one). */
export type SafetyReplayPair = ReplayPair<ReplaySource> & { kind: 'hard' | 'easy' };

/** A benign pair: a request the model wrote (Magpie) with its own helpful answer (domain 'benign', strategy 'magpie', requestSeed). */
export type BenignReplayPair = ReplayPair<BenignRequest> & { kind: 'benign' };

export type ReplaySetPair = SafetyReplayPair | BenignReplayPair;

export type ReplayPhase = 'extract' | 'perplexity' | 'near-duplicates' | 'domain-relevance' | 'respond' | 'judge' | 'revise' | 'select' | 'benign';

export interface ReplayCallbacks {
  signal?: AbortSignal; // stops the batch in flight; the pairs finished before are kept
  /** Progress in the studio's shape, one phase per step; judge, revise and benign events carry the pairs they finished. */
  onProgress?: (p: JobProgress<ReplaySetPair[]>) => void;
  onRows?: (pairs: ReplaySetPair[]) => void; // usable pairs as they finish (safety pairs: candidates for the selection), then benign pairs
}

export interface ReplaySetRecord {
  model: string; // the loaded model's source id
  fingerprint: string;
  adaptation: { kind: 'lora'; r: number; alpha: number } | { kind: 'full' } | null; // what was attached during the run
  judge: { name: string; measures: string };
  refusalCheck: string | null; // benign replay's refusal judge; null when benign replay was off
  settings: ReplaySettings;
  seconds: number;
  complete: boolean;
}

export interface ReplaySetResult {
  // The selection (hard pairs, then easy), then the benign pairs. Cancelled before the selection:
  // every usable safety pair finished, unselected; during benign replay: the selection and the
  // benign pairs of the batches finished.
  pairs: ReplaySetPair[];
  funnel: ReplayFunnel;
  record: ReplaySetRecord;
}

const CHUNK_STREAM = 0x43484e4b; // 'CHNK': one answer seed per round
// Requests answered per generate() call, several rounds together (batchesPerCall); fewer than
// extraction's 128, as answers run longer and a real model's KV cache grows with them.
const ANSWER_ROWS_PER_CALL = 64;

interface FilterRow {
  request: string;
  domain: string | null; // null for Magpie: the filters judge no domain for it
  row: ExtractedRow;
  scores: Partial<Pick<ReplaySource, 'perplexity' | 'duplicate_similarity' | 'relevance_rank'>>;
}

/** Keep a filter's rows, each with the filter's measure under `field`. */
function applyFilter(rows: readonly FilterRow[], result: FilterResult<FilterRow>, field: keyof FilterRow['scores']): FilterRow[] {
  return rows.flatMap((row, i) => {
    const d = result.decisions[i];
    return d.keep ? [{ ...row, scores: { ...row.scores, ...(d.score === null ? {} : { [field]: d.score }) } }] : [];
  });
}

function sourceOf(f: FilterRow): ReplaySource {
  const { row } = f;
  return { domain: row.domain ?? NO_DOMAIN, request: f.request, strategy: row.strategy, sample: row.sample, extraction_seed: row.seed, ...f.scores };
}

/** Build a replay set from `loaded` (see the file comment). Options are checked before any work. */
export async function buildReplaySet(loaded: LoadedModel, options: ReplaySetOptions, callbacks: ReplayCallbacks = {}): Promise<ReplaySetResult> {
  if (typeof options?.judge?.judge !== 'function') throw new Error('replay: a judge is required: it labels each answer safe (easy) or unsafe (hard).');
  const s = resolveReplaySettings(options);
  const { judge } = options;
  if (s.benign !== false && judge.name === KEYWORD_REFUSAL_JUDGE) {
    // Its 'harmful' means "did not refuse": every helpful benign answer would be dropped as harmful.
    throw new Error('replay: benign replay needs a harm judge, and the keyword refusal judge only finds refusals (it would call every helpful answer harmful and keep no benign pair); judge with a classifier, a guard model or, for the embedded model, the world\'s labeller.');
  }
  const refusalCheck = s.benign === false ? null : new KeywordRefusalJudge();
  // The safety pairs' judge: the given one, or (requireRefusal) it and a refusal opening. Benign replay keeps the given one.
  const safetyJudge = s.requireRefusal ? new RefusalRequiredJudge(judge) : judge;
  if (!loaded.template) throw new ChatTemplateError(`${loaded.id} has no chat template; replay prompts the model through its chat turns. Use a chat (instruct) model.`);
  const generator = engineChatGenerator(loaded);
  const { signal, onRows } = callbacks;
  const counter = new FunnelCounter(safetyJudge.name, s.revise !== false, refusalCheck && { refusalCheck: refusalCheck.name, judge: judge.name });
  const usable: SafetyReplayPair[] = [];
  let selected: SafetyReplayPair[] | null = null; // the selection, once drawn
  const benign: BenignReplayPair[] = [];
  const started = performance.now();
  let phase: ReplayPhase = 'extract';
  let phaseStart = started;
  const enter = (next: ReplayPhase) => {
    if (next !== phase) [phase, phaseStart] = [next, performance.now()];
  };
  const report = (done: number, total: number | null, payload?: ReplaySetPair[]) => callbacks.onProgress?.(progressOf(phase, 'items', done, total, phaseStart, payload));
  const attached = loaded.model.attachment;
  const result = (pairs: ReplaySetPair[], complete: boolean): ReplaySetResult => ({
    pairs,
    funnel: counter.funnel(complete, complete ? null : phase),
    record: {
      model: loaded.id,
      fingerprint: loaded.fingerprint,
      adaptation: attached === null ? null : attached.kind === 'lora' ? { kind: 'lora', r: attached.adapter.config.r, alpha: attached.adapter.config.alpha } : { kind: 'full' },
      judge: { name: safetyJudge.name, measures: safetyJudge.measures },
      refusalCheck: refusalCheck?.name ?? null,
      settings: s,
      seconds: (performance.now() - started) / 1000,
      complete,
    },
  });

  try {
    // 1. Extraction.
    const extracted: ExtractedRow[] = [];
    await extractRequests(loaded, {
      ...s.extraction,
      signal,
      onRows: (rows) => {
        extracted.push(...rows);
        counter.addExtracted(rows);
      },
      onProgress: (p) => report(p.done, p.total),
    });

    // 2. Filters, each given the rows the one before kept.
    let rows: FilterRow[] = keptRows(extracted).map((row) => ({ request: row.request, domain: row.domain, row, scores: {} }));
    if (s.perplexity !== false) {
      enter('perplexity');
      const r = await filterByPerplexity(loaded, rows, { ...s.perplexity, batchSize: s.scoreBatchSize, signal, onProgress: (done, total) => report(done, total) });
      counter.addFilter(r.report);
      rows = applyFilter(rows, r, 'perplexity');
    }
    if (s.nearDuplicates !== false) {
      enter('near-duplicates');
      const r = dropNearDuplicates(rows, s.nearDuplicates);
      counter.addFilter(r.report);
      rows = applyFilter(rows, r, 'duplicate_similarity');
      report(r.report.total, r.report.total);
    }
    if (s.domainRelevance !== false) {
      enter('domain-relevance');
      const r = await filterByDomainRelevance(loaded, rows, s.extraction.domains, { ...s.domainRelevance, batchSize: s.scoreBatchSize, signal, onProgress: (done, total) => report(done, total) });
      counter.addFilter(r.report);
      rows = applyFilter(rows, r, 'relevance_rank');
    }
    counter.setFiltered(rows.map((r) => r.domain));
    const requests = rows.map(sourceOf);

    // 3–4. Answer, judge and revise, one round per answer batch. The answers of several rounds
    // come from one generate() call (ANSWER_ROWS_PER_CALL rows at most), each round drawn as it
    // would be alone, so the answers are those of one call per round, sooner.
    const round = s.responses.batchSize;
    const roundsPerCall = batchesPerCall(round, ANSWER_ROWS_PER_CALL);
    const rounds = Math.ceil(requests.length / round);
    let judged = 0;
    let revised = 0;
    let answered: SelfResponse<ReplaySource>[][] = [];
    for (let k = 0; k < rounds; k++) {
      signal?.throwIfAborted();
      const start = k * round;
      if (k % roundsPerCall === 0) {
        enter('respond');
        const group = Array.from({ length: Math.min(roundsPerCall, rounds - k) }, (_, j) => ({
          requests: requests.slice((k + j) * round, (k + j + 1) * round),
          seed: rowSeed(s.responses.seed, CHUNK_STREAM, k + j),
        }));
        answered = await respondToRounds(generator, group, { ...s.responses, signal });
        report(Math.min(requests.length, (k + group.length) * round), requests.length);
      }
      const answers = answered[k % roundsPerCall];
      counter.addResponded(answers.length);

      enter('judge');
      const split = await splitEasyHard(safetyJudge, answers.map((a) => ({ ...a, index: start + a.index })), { signal });
      for (const r of split.easy) counter.addFirstAnswer(r.source.domain, 'easy');
      for (const r of split.hard) counter.addFirstAnswer(r.source.domain, 'hard');
      for (const r of split.unlabelled) counter.addFirstAnswer(r.source.domain, 'unlabelled');
      const easy: SafetyReplayPair[] = split.easy.map((r) => ({ kind: 'easy', source: r.source, response: r.response, verdict: r.verdict, revised: false, seed: r.seed }));
      judged += answers.length;
      usable.push(...easy);
      if (easy.length) onRows?.(easy);
      report(judged, requests.length, easy);

      if (s.revise !== false && split.hard.length) {
        enter('revise');
        const outcome = await reviseHard(generator, safetyJudge, split.hard, { ...s.revise, seed: rowSeed(s.revise.seed, CHUNK_STREAM, k), signal });
        for (const r of outcome.rows) counter.addRevised(r.first.source.domain, r.outcome);
        const firstScore = new Map(split.hard.map((h) => [h.source, h.verdict.score]));
        const hard: SafetyReplayPair[] = hardPairs(outcome).map((p) => {
          const score = firstScore.get(p.source);
          return { ...p, kind: 'hard', source: score === null || score === undefined ? p.source : { ...p.source, first_judge_score: score } };
        });
        revised += outcome.rows.length;
        usable.push(...hard);
        if (hard.length) onRows?.(hard);
        report(revised, null, hard);
      }
    }

    // 5. The replay set at the hard ratio.
    enter('select');
    const hard = usable.filter((p) => p.kind === 'hard');
    const easy = usable.filter((p) => p.kind === 'easy');
    const wanted = s.selection.pairs ?? hard.length + easy.length;
    const selection = selectAtHardRatio(hard, easy, wanted, { hardRatio: s.selection.hardRatio, shortage: s.selection.shortage, seed: s.selection.seed });
    counter.setSelection(selection, wanted);
    selected = selection.pairs as SafetyReplayPair[]; // drawn from the hard and easy pools only
    report(1, 1);

    // 6. Benign replay (beyond the paper), with the same generator and judge.
    if (s.benign !== false) {
      enter('benign');
      let batch: BenignReplayPair[] = []; // the pairs of the batch in flight, reported with its progress
      await buildBenignReplay(generator, judge, {
        ...s.benign,
        refusalJudge: refusalCheck!,
        signal,
        onPairs: (pairs) => {
          batch = pairs.map((p) => ({ ...p, kind: 'benign' }));
          benign.push(...batch);
          if (batch.length) onRows?.(batch);
        },
        onFunnel: (f) => counter.setBenign(f),
        onProgress: (p) => {
          report(p.done, p.total, batch);
          batch = [];
        },
      });
    }
    return result([...selected, ...benign], true);
  } catch (e) {
    if (signal?.aborted) throw new JobCancelledError(result([...(selected ?? usable), ...benign], false));
    throw e;
  }
}

export type { ExtractionStrategy, ShortagePolicy };
