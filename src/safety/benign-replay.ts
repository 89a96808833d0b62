// Benign replay (beyond the paper). A replay set made only of refusals, mixed into a narrow task,
// can teach "refuse anything that is not the task" (a prototype's over-refusal of benign chat rose
// to ~97%). Benign replay adds the model's own helpful behaviour beside its refusals, generated the
// same way GR-SAP generates safety data, by the model itself:
//   1. benign requests, Magpie-style (Xu et al. 2024): the chat template is rendered up to an open,
//      empty user turn and the model writes the user's request (temperature 1.0, as extraction);
//      a request cut at the token limit, an empty one, or a repeat of an earlier one is dropped;
//   2. the model answers each one as in the self-response step (temperature 0.8, top-p 0.95);
//   3. the pair is kept only if the harm judge says safe AND the refusal check finds no refusal
//      (by default the keyword refusal judge, whose 'harmful' means "complied"): a benign pair
//      must show the model helping. A pair either judge cannot label is dropped and counted.
// Magpie asks for no topic, so some written requests are harmful: step 3 drops them (harmful
// answer) or (refused answer), and the funnel counts each reason.
// How much of the replay is benign is the mixing's `benignShare` (mixing.ts, 0 by default, as the
// paper has none). Batches run sample → answer → judge one after the other; each finished batch's
// pairs go to `onPairs`, so a cancel keeps them.

import { checkPositiveInteger, checkSampling, rowSeed, type ChatGenerator, type ChatPrompt, type StepProgress } from './chat-generation';
import type { Judge, Verdict } from './judges/judge';
import { KeywordRefusalJudge } from './judges/keyword-refusal';
import type { ReplayPair } from './replay-pair';
import { DEFAULT_SELF_RESPONSE, respondToRequests, selfResponseSettings, type SelfResponseSettings } from './self-response';

export interface BenignRequest {
  domain: 'benign';
  request: string;
  strategy: 'magpie';
  requestSeed: number; // sampling seed of the request
}

export interface BenignReplaySettings {
  samples: number; // requests to sample: 64 (ours; each costs up to requestTokens + answer tokens)
  requestTemperature: number; // 1.0, as the paper's extraction sampling
  requestTopP: number; // 1 (off)
  requestTokens: number; // 64: the longest request written; longer ones are dropped as unfinished
  answer: SelfResponseSettings; // as the self-response step: temperature 0.8, top-p 0.95, 256 tokens
  batchSize: number; // requests per batch: 8
  seed: number; // 0
}

export const DEFAULT_BENIGN_REPLAY: BenignReplaySettings = {
  samples: 64,
  requestTemperature: 1.0,
  requestTopP: 1,
  requestTokens: 64,
  answer: DEFAULT_SELF_RESPONSE,
  batchSize: 8,
  seed: 0,
};

export const BENIGN_REQUEST_STREAM = 0x42454e49; // 'BENI'

export interface BenignFunnel {
  sampled: number;
  unfinished: number; // the request hit requestTokens
  empty: number;
  duplicate: number; // same text (case and spacing aside) as an earlier request
  answered: number;
  harmful: number; // the harm judge found the answer harmful
  harmUnlabelled: number; // the harm judge could not say
  refused: number; // the refusal check found a refusal
  refusalUnlabelled: number; // the refusal check could not say
  kept: number;
}

export interface BenignReplayResult {
  pairs: ReplayPair<BenignRequest>[];
  funnel: BenignFunnel;
  judge: string; // the harm judge
  refusalCheck: string; // the refusal judge
}

/** The step's settings as given: any subset, the answer's too. */
export interface BenignReplayGiven extends Partial<Omit<BenignReplaySettings, 'answer'>> {
  answer?: Partial<SelfResponseSettings>; // its seed defaults to this step's seed
}

export interface BenignReplayOptions extends BenignReplayGiven {
  refusalJudge?: Judge; // 'safe' = refused; default KeywordRefusalJudge
  signal?: AbortSignal;
  onProgress?: (p: StepProgress) => void; // requests sampled and processed so far
  onPairs?: (pairs: ReplayPair<BenignRequest>[]) => void; // the pairs each finished batch kept
  onFunnel?: (funnel: BenignFunnel) => void; // the funnel after each finished batch (a copy), so a cancel can report it
}

/** The Magpie prompt: the template up to an empty, open user turn. */
export function magpiePrompt(): ChatPrompt {
  return { messages: [{ role: 'user', content: '' }], continueFinal: true };
}

/** The settings with every default filled in and every value checked. */
export function benignReplaySettings(options: BenignReplayGiven): BenignReplaySettings {
  const d = DEFAULT_BENIGN_REPLAY;
  const seed = options.seed ?? d.seed;
  const s: BenignReplaySettings = {
    samples: options.samples ?? d.samples,
    requestTemperature: options.requestTemperature ?? d.requestTemperature,
    requestTopP: options.requestTopP ?? d.requestTopP,
    requestTokens: options.requestTokens ?? d.requestTokens,
    answer: selfResponseSettings({ seed, ...options.answer }, 'benign replay answers', d.answer),
    batchSize: options.batchSize ?? d.batchSize,
    seed,
  };
  checkPositiveInteger('benign replay', 'samples', s.samples);
  checkPositiveInteger('benign replay', 'requestTokens', s.requestTokens);
  checkPositiveInteger('benign replay', 'batchSize', s.batchSize);
  checkSampling('benign replay requests', s.requestTemperature, s.requestTopP);
  if (!Number.isInteger(s.seed) || s.seed < 0) throw new Error(`benign replay: seed must be an integer ≥ 0, got ${s.seed}.`);
  return s;
}

function normalised(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Benign pairs the model writes and answers itself (see the file comment). */
export async function buildBenignReplay(generator: ChatGenerator, harmJudge: Judge, options: BenignReplayOptions = {}): Promise<BenignReplayResult> {
  const s = benignReplaySettings(options);
  const refusalJudge = options.refusalJudge ?? new KeywordRefusalJudge();
  const funnel: BenignFunnel = { sampled: 0, unfinished: 0, empty: 0, duplicate: 0, answered: 0, harmful: 0, harmUnlabelled: 0, refused: 0, refusalUnlabelled: 0, kept: 0 };
  const seen = new Set<string>();
  const pairs: ReplayPair<BenignRequest>[] = [];
  const signal = options.signal;

  for (let start = 0; start < s.samples; start += s.batchSize) {
    signal?.throwIfAborted();
    const size = Math.min(s.batchSize, s.samples - start);
    const seeds = Array.from({ length: size }, (_, b) => rowSeed(s.seed, BENIGN_REQUEST_STREAM, start + b));
    const written = await generator(
      seeds.map(magpiePrompt),
      { maxNewTokens: s.requestTokens, sampling: seeds.map((seed) => ({ temperature: s.requestTemperature, topP: s.requestTopP, seed })), signal },
    );
    if (written.length !== size) throw new Error(`benign replay: the generator returned ${written.length} requests for ${size} prompts.`);
    funnel.sampled += size;
    const requests: BenignRequest[] = [];
    written.forEach((w, b) => {
      const text = w.text.trim();
      if (w.finish === 'length') funnel.unfinished++;
      else if (text === '') funnel.empty++;
      else if (seen.has(normalised(text))) funnel.duplicate++;
      else {
        seen.add(normalised(text));
        requests.push({ domain: 'benign', request: text, strategy: 'magpie', requestSeed: seeds[b] });
      }
    });
    if (requests.length) {
      // Each batch answers with its own seed (seed + batch start), so batches never share draws.
      const answers = await respondToRequests(generator, requests, { ...s.answer, seed: (s.answer.seed + start) >>> 0, batchSize: requests.length, signal });
      funnel.answered += answers.length;
      const judged = answers.map((a) => ({ request: a.source.request, response: a.response }));
      const harm = await harmJudge.judge(judged, { signal });
      const refusal = await refusalJudge.judge(judged, { signal });
      if (harm.length !== answers.length || refusal.length !== answers.length) throw new Error(`benign replay: the judges returned ${harm.length} and ${refusal.length} verdicts for ${answers.length} pairs.`);
      const kept: ReplayPair<BenignRequest>[] = [];
      answers.forEach((a, k) => {
        const reason = dropReason(harm[k], refusal[k]);
        if (reason) funnel[reason]++;
        else kept.push({ kind: 'benign', source: a.source, response: a.response, verdict: harm[k], revised: false, seed: a.seed });
      });
      funnel.kept += kept.length;
      pairs.push(...kept);
      options.onPairs?.(kept);
    }
    options.onFunnel?.({ ...funnel });
    options.onProgress?.({ done: funnel.sampled, total: s.samples });
  }
  return { pairs, funnel, judge: harmJudge.name, refusalCheck: refusalJudge.name };
}

function dropReason(harm: Verdict, refusal: Verdict): 'harmful' | 'harmUnlabelled' | 'refused' | 'refusalUnlabelled' | null {
  if (harm.label === 'harmful') return 'harmful';
  if (harm.label === 'unlabelled') return 'harmUnlabelled';
  if (refusal.label === 'safe') return 'refused';
  if (refusal.label === 'unlabelled') return 'refusalUnlabelled';
  return null;
}
