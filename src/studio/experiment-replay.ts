// The replay builders the experiment runner uses by default: GR-SAP's replay use case
// (replay.ts) and benign replay (safety/benign-replay.ts), each run on the base model with the
// preset's budgets and the unit's seed.

import { buildBenignReplay } from '../safety/benign-replay';
import { engineChatGenerator } from '../safety/chat-generation';
import type { BenignBuilder, ReplayBuilder } from './experiment-run';
import { buildReplaySet } from './replay';

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
 * GR-SAP's replay use case (replay.ts) with the preset's budgets and the unit's seed: extraction
 * (assistant prefill), the perplexity band and near-duplicate filters, self-responses, the judge's
 * easy/hard split (with the preset's refusal requirement) and revise. Every usable pair is kept (selection `pairs: null`): the mixing step
 * draws from them at the hard ratio. buildReplaySet hands back no extracted rows, so the
 * replay-vs-original measure reads the replay set's requests.
 */
export const defaultReplayBuilder: ReplayBuilder = async (loaded, request) => {
  const { settings, seed, judge, signal } = request;
  const result = await buildReplaySet(
    loaded,
    {
      judge,
      domains: request.domains,
      seed,
      extraction: { samplesPerDomain: settings.samplesPerDomain, maxNewTokens: settings.maxNewTokens },
      responses: { maxNewTokens: settings.responseTokens },
      revise: { maxNewTokens: settings.responseTokens },
      requireRefusal: settings.requireRefusal,
      selection: { pairs: null },
    },
    { signal, onProgress: ({ payload: _pairs, ...p }) => request.onProgress?.(p) },
  );
  return { pairs: result.pairs, extracted: null };
};
