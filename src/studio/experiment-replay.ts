// The replay builders the experiment runner uses by default: GR-SAP's replay use case
// (replay.ts) and benign replay (safety/benign-replay.ts), each run on the base model with the
// preset's budgets and the unit's seed.

import { buildBenignReplay } from '../safety/benign-replay';
import { engineChatGenerator } from '../safety/chat-generation';
import { easyPairs, splitEasyHard } from '../safety/easy-hard';
import { extractRequests, keptRows } from '../safety/extraction';
import { dropNearDuplicates } from '../safety/filters/near-duplicates';
import { filterByPerplexity } from '../safety/filters/perplexity-band';
import { hardPairs, reviseHard } from '../safety/revise';
import { respondToRequests } from '../safety/self-response';
import type { BenignBuilder, ReplayBuilder } from './experiment-run';

export const defaultBenignBuilder: BenignBuilder = async (loaded, request) => {
  const result = await buildBenignReplay(engineChatGenerator(loaded), request.judge, {
    samples: request.settings.benignSamples,
    seed: request.seed,
    answer: { maxNewTokens: request.settings.responseTokens },
    signal: request.signal,
    onProgress: (p) => request.onProgress?.({ phase: 'benign', done: p.done, total: p.total, unit: 'items', rate: null, etaSec: null }),
  });
  return result.pairs;
};

/**
 * GR-SAP's replay with the preset's budgets: extraction (assistant prefill), the perplexity band and
 * near-duplicate filters, self-responses, the judge's easy/hard split and revise; every usable pair
 * is kept (the mixing step draws from them at the hard ratio). Runs the src/safety steps in order
 * until the studio's replay use case (replay.ts) is merged, which then takes over.
 */
export const defaultReplayBuilder: ReplayBuilder = async (loaded, request) => {
  const { settings, seed, judge, signal } = request;
  const report = (phase: string, done: number, total: number | null) => request.onProgress?.({ phase, done, total, unit: 'items', rate: null, etaSec: null });
  const extracted = await extractRequests(loaded, {
    domains: [...request.domains],
    samplesPerDomain: settings.samplesPerDomain,
    maxNewTokens: settings.maxNewTokens,
    seed,
    signal,
    onProgress: (p) => report('extract', p.done, p.total),
  });
  const kept = keptRows(extracted.rows).map((r) => ({ domain: r.domain ?? 'unknown', request: r.request }));
  let rows = kept;
  if (rows.length > 2) rows = (await filterByPerplexity(loaded, rows, { signal })).kept;
  rows = dropNearDuplicates(rows).kept;
  if (!rows.length) return { pairs: [], extracted: kept };
  const generator = engineChatGenerator(loaded);
  const answers = await respondToRequests(generator, rows, { maxNewTokens: settings.responseTokens, seed, signal, onProgress: (p) => report('respond', p.done, p.total) });
  const split = await splitEasyHard(judge, answers, { signal });
  const revised = await reviseHard(generator, judge, split.hard, { maxNewTokens: settings.responseTokens, seed, signal, onProgress: (p) => report('revise', p.done, p.total) });
  return { pairs: [...hardPairs(revised), ...easyPairs(split)], extracted: kept };
};
