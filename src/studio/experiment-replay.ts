// The replay builders the experiment runner uses by default: GR-SAP's replay use case
// (replay.ts) and benign replay (safety/benign-replay.ts), each run on the base model with the
// preset's budgets and the unit's seed.

import { buildBenignReplay } from '../safety/benign-replay';
import { engineChatGenerator } from '../safety/chat-generation';
import type { BenignBuilder } from './experiment-run';

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
