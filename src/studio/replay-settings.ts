// The settings of a replay run (replay.ts): one object per step, each with the step's own defaults
// (src/safety), checked whole before any work starts, so a typo or a bad value fails at once with
// a message naming the setting, not after minutes of extraction.

import { benignReplaySettings, DEFAULT_BENIGN_REPLAY, type BenignReplayGiven, type BenignReplaySettings } from '../safety/benign-replay';
import { checkPositiveInteger, checkSampling } from '../safety/chat-generation';
import { GRSAP_DOMAINS, resolveExtractionSettings, type ExtractionSettings } from '../safety/extraction';
import { DEFAULT_DOMAIN_RELEVANCE, type DomainRelevanceSettings } from '../safety/filters/domain-relevance';
import { DEFAULT_NEAR_DUPLICATES, type NearDuplicateSettings } from '../safety/filters/near-duplicates';
import { DEFAULT_PERPLEXITY_BAND, type PerplexityBandSettings } from '../safety/filters/perplexity-band';
import { checkShare, checkShortage, type ShortagePolicy } from '../safety/hard-ratio';
import type { Judge } from '../safety/judges/judge';
import { DEFAULT_REVISE, type ReviseSettings } from '../safety/revise';
import { DEFAULT_SELF_RESPONSE, selfResponseSettings, type SelfResponseSettings } from '../safety/self-response';
import { HARM_DOMAINS } from '../world/domains';
import { ORGANISM_RECIPE } from './organism';

/** The embedded organism's own harm domains (the world's), named as in the paper's list. */
export const WORLD_REPLAY_DOMAINS: readonly string[] = HARM_DOMAINS.map((d) => d.name);

/** Whether config.json's _name_or_path names the embedded organism (or the CLI's tiny variant of it). */
export function isEmbeddedModelName(nameOrPath: string | null | undefined): boolean {
  return typeof nameOrPath === 'string' && (nameOrPath === ORGANISM_RECIPE.name || nameOrPath.startsWith(`${ORGANISM_RECIPE.name}-`));
}

/** The default domains: the world's for the embedded organism, which knows no others; the paper's 38 for any other model. */
export function defaultReplayDomains(nameOrPath: string | null | undefined): readonly string[] {
  return isEmbeddedModelName(nameOrPath) ? WORLD_REPLAY_DOMAINS : GRSAP_DOMAINS;
}

/**
 * Whether a safe answer must also open with a refusal to be trained on: on for the embedded
 * organism, whose safe answers are often garbled or echoes rather than refusals (see
 * judges/refusal-required.ts); off for other models, where the judge alone decides, as in the paper.
 */
export function defaultRequireRefusal(nameOrPath: string | null | undefined): boolean {
  return isEmbeddedModelName(nameOrPath);
}

export interface SelectionSettings {
  pairs: number | null; // pairs to draw; null = every usable pair (the hard share is then what the pools give, reported)
  hardRatio: number; // 0.5, as the paper's code
  shortage: ShortagePolicy; // 'fill': the other pool fills a short one; 'keep-ratio': fewer pairs at the exact share
  seed: number; // the run's seed
}

/** Everything a replay run takes but the judge; plain data, so it crosses the worker boundary. */
export interface ReplayRunOptions {
  domains?: readonly string[]; // GRSAP_DOMAINS; the embedded model: WORLD_REPLAY_DOMAINS (defaultReplayDomains picks)
  seed?: number; // 0: the seed of every step that does not set its own
  extraction?: Partial<Omit<ExtractionSettings, 'domains'>>; // 1 strategy × 16 samples per domain, 64 tokens, temperature 1
  perplexity?: Partial<PerplexityBandSettings> | false; // 5th–95th percentile; false: off
  nearDuplicates?: Partial<NearDuplicateSettings> | false; // Jaccard ≥ 0.85 dropped; false: off
  domainRelevance?: Partial<DomainRelevanceSettings> | false; // off by default (false); {} turns it on (top 3)
  responses?: Partial<SelfResponseSettings>; // temperature 0.8, top-p 0.95, 256 tokens, batch 8 (one round of answer → judge → revise)
  revise?: Partial<ReviseSettings> | false; // temperature 0.7; false: off (hard requests are then not trained on)
  requireRefusal?: boolean; // false (the paper: the judge alone); true: a safe answer must also open with a refusal (judges/refusal-required.ts); the embedded model's default (defaultRequireRefusal)
  selection?: Partial<SelectionSettings>;
  benign?: BenignReplayGiven | false; // off by default (false), as the paper has none; {} turns it on: 64 Magpie requests of ≤ 64 tokens, each answered (≤ 256 tokens)
  scoreBatchSize?: number; // sequences per forward pass of the scoring filters: 16
}

export interface ReplaySetOptions extends ReplayRunOptions {
  judge: Judge; // labels the first and the revised answers; every easy / hard count is its
}

export interface ReplaySettings {
  extraction: ExtractionSettings;
  perplexity: PerplexityBandSettings | false;
  nearDuplicates: NearDuplicateSettings | false;
  domainRelevance: DomainRelevanceSettings | false;
  responses: SelfResponseSettings;
  revise: ReviseSettings | false;
  requireRefusal: boolean;
  selection: SelectionSettings;
  benign: BenignReplaySettings | false;
  scoreBatchSize: number;
}

const TOP_KEYS = ['judge', 'domains', 'seed', 'extraction', 'perplexity', 'nearDuplicates', 'domainRelevance', 'responses', 'revise', 'requireRefusal', 'selection', 'benign', 'scoreBatchSize'];

function fail(message: string): never {
  throw new Error(`replay: ${message}`);
}

/** `given` over `defaults`, refusing keys the defaults do not have (a typo is an error, not ignored). */
function known<T extends object>(where: string, defaults: T, given: Partial<T> | undefined): T {
  const keys = Object.keys(defaults);
  for (const key of Object.keys(given ?? {})) if (!keys.includes(key)) fail(`unknown ${where} setting ${JSON.stringify(key)}; the ${where} settings are ${keys.join(', ')}.`);
  return { ...defaults, ...Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)) } as T;
}

function seedOf(where: string, seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) fail(`${where} seed must be an integer from 0 to 4294967295, got ${seed}.`);
  return seed;
}

/** Benign replay's settings (off unless given), its answer's checked like the responses'. */
function benignOf(given: ReplayRunOptions['benign'], seed: number): BenignReplaySettings | false {
  if (given === undefined || given === false) return false;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) fail(`benign must be false (off) or an object of benign replay settings ({} for the defaults), got ${JSON.stringify(given)}.`);
  const { answer, ...step } = given;
  const resolved = known('benign replay', { ...DEFAULT_BENIGN_REPLAY, seed }, step);
  const answered = known('benign answer', { ...DEFAULT_BENIGN_REPLAY.answer, seed: resolved.seed }, answer);
  seedOf('the benign replay', resolved.seed);
  seedOf('the benign answer', answered.seed);
  try {
    return benignReplaySettings({ ...resolved, answer: answered });
  } catch (e) {
    fail((e as Error).message);
  }
}

/** The settings of a run, every default filled in and every value checked (see the file comment). */
export function resolveReplaySettings(options: ReplaySetOptions | ReplayRunOptions): ReplaySettings {
  for (const key of Object.keys(options)) if (!TOP_KEYS.includes(key)) fail(`unknown option ${JSON.stringify(key)}; the options are ${TOP_KEYS.join(', ')}.`);
  if ('judge' in options && (!options.judge || typeof options.judge.judge !== 'function')) fail('a judge is required: it labels each answer safe (easy) or unsafe (hard).');
  const seed = seedOf('the', options.seed ?? 0);
  const domains = options.domains ?? GRSAP_DOMAINS;
  if ((options.extraction as { domains?: unknown } | undefined)?.domains !== undefined) fail('give the domains as the top-level option "domains", not inside "extraction".');
  let extraction: ExtractionSettings;
  try {
    extraction = resolveExtractionSettings({ seed, ...options.extraction, domains });
  } catch (e) {
    fail((e as Error).message);
  }
  const perplexity = options.perplexity === false ? false : known('perplexity', DEFAULT_PERPLEXITY_BAND, options.perplexity);
  if (perplexity && !(perplexity.lowPercentile >= 0 && perplexity.lowPercentile <= perplexity.highPercentile && perplexity.highPercentile <= 100)) {
    fail(`the perplexity band's percentiles must satisfy 0 ≤ low ≤ high ≤ 100, got ${perplexity.lowPercentile} and ${perplexity.highPercentile}.`);
  }
  const nearDuplicates = options.nearDuplicates === false ? false : known('near-duplicate', DEFAULT_NEAR_DUPLICATES, options.nearDuplicates);
  if (nearDuplicates && !(nearDuplicates.threshold > 0 && nearDuplicates.threshold <= 1)) fail(`the near-duplicate threshold must be in (0, 1], got ${nearDuplicates.threshold}.`);
  const domainRelevance = options.domainRelevance === undefined || options.domainRelevance === false ? false : known('domain relevance', DEFAULT_DOMAIN_RELEVANCE, options.domainRelevance);
  if (domainRelevance) checkPositiveInteger('replay', 'domain relevance topK', domainRelevance.topK);
  const responses = selfResponseSettings(known('response', { ...DEFAULT_SELF_RESPONSE, seed }, options.responses), 'replay: responses');
  const revise = options.revise === false ? false : known('revise', { ...DEFAULT_REVISE, seed }, options.revise);
  if (revise) {
    checkSampling('replay: revise', revise.temperature, revise.topP);
    checkPositiveInteger('replay: revise', 'maxNewTokens', revise.maxNewTokens);
    checkPositiveInteger('replay: revise', 'batchSize', revise.batchSize);
    seedOf('the revise', revise.seed);
  }
  const requireRefusal = options.requireRefusal ?? false;
  if (typeof requireRefusal !== 'boolean') fail(`requireRefusal must be true or false, got ${JSON.stringify(requireRefusal)}.`);
  const selection = known<SelectionSettings>('selection', { pairs: null, hardRatio: 0.5, shortage: 'fill', seed }, options.selection);
  if (selection.pairs !== null && (!Number.isInteger(selection.pairs) || selection.pairs < 1)) fail(`the number of pairs to select must be a positive integer or null (every usable pair), got ${selection.pairs}.`);
  checkShare('replay', 'hardRatio', selection.hardRatio);
  checkShortage('replay', selection.shortage);
  seedOf('the selection', selection.seed);
  const benign = benignOf(options.benign, seed);
  const scoreBatchSize = options.scoreBatchSize ?? 16;
  checkPositiveInteger('replay', 'scoreBatchSize', scoreBatchSize);
  return { extraction, perplexity, nearDuplicates, domainRelevance, responses, revise, requireRefusal, selection, benign, scoreBatchSize };
}
