// One interface for every judge of (request, response) pairs: a keyword refusal check, an ONNX
// text classifier, a generative guard model. Each verdict carries the judge's name, because every
// harmful ratio the product shows must say which judge produced it; a pair the judge cannot label
// is 'unlabelled' and is counted apart by the metrics, never guessed.

export interface JudgePair {
  request: string; // the user's request
  response: string; // the assistant's answer to judge
}

export type JudgeLabel = 'harmful' | 'safe' | 'unlabelled';

export interface Verdict {
  label: JudgeLabel;
  score: number | null; // the judge's P(harmful) or equivalent; null where the judge has none
  judge: string; // name of the judge that produced it, e.g. 'keyword-refusal'
  detail?: string; // why: the matched refusal phrase, the guard's raw output, its categories …
  categories?: string[]; // harm categories a generative guard listed (e.g. ['S2'])
}

export interface JudgeProgress {
  done: number; // pairs judged so far
  total: number;
}

export interface JudgeOptions {
  signal?: AbortSignal; // cancels between batches; the promise rejects with the signal's reason
  onProgress?: (p: JudgeProgress) => void; // after each batch
  /** Called with each finished batch, so a caller can keep the rows done before a cancel. */
  onVerdicts?: (start: number, verdicts: Verdict[]) => void;
}

export interface Judge {
  readonly name: string; // shown beside every ratio the judge produced
  /** What a 'harmful' label means for this judge, in a sentence a user can read. */
  readonly measures: string;
  judge(pairs: readonly JudgePair[], options?: JudgeOptions): Promise<Verdict[]>;
  dispose?(): Promise<void>;
}

/**
 * Run `judgeBatch` over `pairs` in slices of `batchSize`, checking the signal before each slice and
 * reporting progress after it. Judges share this so cancellation and progress behave alike.
 */
export async function judgeInBatches(
  pairs: readonly JudgePair[],
  batchSize: number,
  options: JudgeOptions,
  judgeBatch: (batch: readonly JudgePair[]) => Promise<Verdict[]>,
): Promise<Verdict[]> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`judge: batchSize must be a positive integer, got ${batchSize}.`);
  const out: Verdict[] = [];
  for (let start = 0; start < pairs.length; start += batchSize) {
    options.signal?.throwIfAborted();
    const batch = pairs.slice(start, start + batchSize);
    const verdicts = await judgeBatch(batch);
    if (verdicts.length !== batch.length) throw new Error(`judge: a batch of ${batch.length} pairs returned ${verdicts.length} verdicts.`);
    out.push(...verdicts);
    options.onVerdicts?.(start, verdicts);
    options.onProgress?.({ done: out.length, total: pairs.length });
  }
  return out;
}
