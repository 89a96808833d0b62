// GR-SAP step 4a: a judge labels each (request, self-response) pair. A safe answer makes an easy
// pair, ready to train on; an unsafe one makes a hard request, which revise answers again. A pair
// the judge cannot label is neither: it is counted apart and left out, never guessed.

import type { Judge, JudgeOptions, Verdict } from './judges/judge';
import type { ReplayPair, ReplayRequest } from './replay-pair';
import type { SelfResponse } from './self-response';

export interface JudgedResponse<R extends ReplayRequest = ReplayRequest> extends SelfResponse<R> {
  verdict: Verdict;
}

export interface EasyHardSplit<R extends ReplayRequest = ReplayRequest> {
  judge: string; // the judge's name: every count below is its
  easy: JudgedResponse<R>[]; // safe first answers
  hard: JudgedResponse<R>[]; // unsafe first answers: revise's input
  unlabelled: JudgedResponse<R>[]; // the judge could not say; not trained on
}

export interface SplitOptions<R extends ReplayRequest> {
  signal?: AbortSignal;
  onProgress?: JudgeOptions['onProgress'];
  onJudged?: (rows: JudgedResponse<R>[]) => void; // each batch the judge finished (judges that report onVerdicts: all of judges/), so a cancel keeps them
}

/** Judge every self-response and sort the pairs into easy, hard and unlabelled (input order kept). */
export async function splitEasyHard<R extends ReplayRequest>(judge: Judge, responses: readonly SelfResponse<R>[], options: SplitOptions<R> = {}): Promise<EasyHardSplit<R>> {
  const verdicts = await judge.judge(
    responses.map((r) => ({ request: r.source.request, response: r.response })),
    {
      signal: options.signal,
      onProgress: options.onProgress,
      onVerdicts: (start, batch) => options.onJudged?.(batch.map((verdict, k) => ({ ...responses[start + k], verdict }))),
    },
  );
  if (verdicts.length !== responses.length) throw new Error(`easy/hard split: judge ${judge.name} returned ${verdicts.length} verdicts for ${responses.length} pairs.`);
  const split: EasyHardSplit<R> = { judge: judge.name, easy: [], hard: [], unlabelled: [] };
  responses.forEach((r, i) => {
    const row = { ...r, verdict: verdicts[i] };
    if (verdicts[i].label === 'safe') split.easy.push(row);
    else if (verdicts[i].label === 'harmful') split.hard.push(row);
    else split.unlabelled.push(row);
  });
  return split;
}

/** The easy pairs, ready to train on: the request and the model's own safe first answer. */
export function easyPairs<R extends ReplayRequest>(split: EasyHardSplit<R>): ReplayPair<R>[] {
  return split.easy.map((r) => ({ kind: 'easy', source: r.source, response: r.response, verdict: r.verdict, revised: false, seed: r.seed }));
}
