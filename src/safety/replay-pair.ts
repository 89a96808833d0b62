// The rows GR-SAP's steps pass along. A ReplayRequest is what extraction hands over (a request and
// its harm domain, and whatever provenance the extractor attaches: strategy, seed, filter scores,
// all kept untouched); a ReplayPair is a request with the answer that will be trained on, its
// kind, and the verdict that let it in.

import type { ChatExample } from '../text/datasets';
import type { Verdict } from './judges/judge';

/** A request to replay, as extraction gives it. Further fields are provenance and travel along. */
export interface ReplayRequest {
  domain: string; // harm domain it was extracted for, e.g. 'cybercrime'; 'benign' for benign replay
  request: string; // the user's request, as trained on
}

/**
 * hard: the model's first answer was unsafe and revise made it safe; easy: its first answer was
 * safe; benign: a benign request the model wrote and answered helpfully (beyond the paper).
 */
export type ReplayKind = 'hard' | 'easy' | 'benign';

export interface ReplayPair<R extends ReplayRequest = ReplayRequest> {
  kind: ReplayKind;
  source: R; // the request as extracted; the training pair's user turn is source.request, never a revise prompt
  response: string; // the answer trained on (for hard pairs: the revised one)
  verdict: Verdict; // the judge's verdict on (source.request, response): safe
  revised: boolean; // true for hard pairs
  seed: number; // sampling seed of the kept answer
}

/** Where a mixed row came from: the user's task data, or one of the replay kinds. */
export type MixSource = 'task' | 'replay-hard' | 'replay-easy' | 'benign';

export const MIX_SOURCE_KEY = 'mix_source'; // meta key; a dataset's own "source" field is left alone

export function mixSourceOf(kind: ReplayKind): MixSource {
  return kind === 'benign' ? 'benign' : kind === 'hard' ? 'replay-hard' : 'replay-easy';
}

/**
 * The pair as a training example in the `messages` layout (user request, assistant answer), with
 * its provenance as string meta: the source's own scalar fields (domain, strategy, scores …), then
 * mix_source, kind, revised, judge, judge_label, judge_score and seed.
 */
export function replayPairToExample(pair: ReplayPair): ChatExample {
  const meta: Record<string, string> = {};
  for (const [key, value] of Object.entries(pair.source)) {
    if (key === 'request') continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') meta[key] = String(value);
  }
  meta[MIX_SOURCE_KEY] = mixSourceOf(pair.kind);
  meta.kind = pair.kind;
  meta.revised = String(pair.revised);
  meta.judge = pair.verdict.judge;
  meta.judge_label = pair.verdict.label;
  if (pair.verdict.score !== null) meta.judge_score = String(pair.verdict.score);
  meta.seed = String(pair.seed);
  return {
    messages: [
      { role: 'user', content: pair.source.request },
      { role: 'assistant', content: pair.response },
    ],
    meta,
  };
}

const PAIR_KEYS = new Set([MIX_SOURCE_KEY, 'kind', 'revised', 'judge', 'judge_label', 'judge_score', 'seed']);
const KINDS: readonly ReplayKind[] = ['hard', 'easy', 'benign'];

/**
 * A replay pair read back from its example (a line of a saved replay set): the inverse of
 * replayPairToExample, except that the source's provenance fields come back as strings.
 */
export function replayPairFromExample(example: ChatExample, where = 'replay example'): ReplayPair<ReplayRequest & Record<string, string>> {
  const fail = (message: string) => new Error(`${where}: ${message} A replay set line is {"messages": [user, assistant], "kind", "domain", "judge", "judge_label", "seed", …} as replayPairToExample writes it.`);
  const [user, assistant, ...rest] = example.messages;
  if (user?.role !== 'user' || assistant?.role !== 'assistant' || rest.length) throw fail('needs exactly a user turn then an assistant turn.');
  const meta = example.meta ?? {};
  const kind = meta.kind as ReplayKind;
  if (!KINDS.includes(kind)) throw fail(`has kind ${JSON.stringify(meta.kind)}, not hard, easy or benign.`);
  if (typeof meta.domain !== 'string') throw fail('has no domain.');
  if (typeof meta.judge !== 'string' || !['harmful', 'safe', 'unlabelled'].includes(meta.judge_label)) throw fail('has no judge and judge_label.');
  const seed = Number(meta.seed);
  if (!Number.isInteger(seed) || seed < 0) throw fail(`has seed ${JSON.stringify(meta.seed)}, not an integer ≥ 0.`);
  const source: ReplayRequest & Record<string, string> = { domain: meta.domain, request: user.content };
  for (const [key, value] of Object.entries(meta)) if (!PAIR_KEYS.has(key)) source[key] = value;
  const score = meta.judge_score === undefined ? null : Number(meta.judge_score);
  return {
    kind,
    source,
    response: assistant.content,
    verdict: { label: meta.judge_label as Verdict['label'], score, judge: meta.judge },
    revised: meta.revised === 'true',
    seed,
  };
}
