// `replay`: GR-SAP's replay set from a model (with an optional adapter): extract → filter → answer →
// judge → revise → select (→ benign replay, with --benign-samples), one JSON line per pair in --out (the `messages` layout, provenance as
// fields), written as each round of answers finishes; the funnel (every count of every step, per
// domain) as JSON on stdout and as readable lines on stderr. The work is the studio's
// buildReplaySet; this file parses and prints.

import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { JobCancelledError } from '../studio/jobs';
import { worldLabellerJudge } from '../studio/judges';
import { buildReplaySet, defaultReplayDomains, defaultRequireRefusal, describeFunnel, GRSAP_DOMAINS, isEmbeddedModelName, WORLD_REPLAY_DOMAINS, type ReplayRunOptions, type ReplaySetResult } from '../studio/replay';
import { replaySetToJsonl } from '../studio/replay-set';
import { EXTRACTION_STRATEGIES, type ExtractionStrategy, type ShortagePolicy } from '../studio/replay';
import { choiceOption, existingFile, existingFolder, floatOption, intOption, MODEL_OPTIONS, stringOption, UsageError, type CommandSpec, type ParsedValues } from './args';
import { checkModelFolders, modelName, openModel, type CliContext } from './common';
import { checkJudgeFlags, JUDGE_KINDS, openCliJudge } from './judge-option';
import { writeFileAtomic } from './out-dir';

const JUDGES = JUDGE_KINDS;
const SHORTAGE: readonly ShortagePolicy[] = ['fill', 'keep-ratio', 'error'];

export const replaySpec: CommandSpec = {
  name: 'replay',
  summary: 'regenerate a safety replay set from a model (GR-SAP): JSONL pairs + the funnel',
  usage: '--model DIR [--adapter DIR] --out FILE.jsonl [--strategy S] [--domains world|paper|FILE] [--judge J --judge-model DIR] [options]',
  description: [
    'The model regenerates the requests it was aligned to refuse, per harm domain (--strategy:',
    'assistant-prefill, the paper\'s default; user-prefill; magpie; or a comma list). The requests pass',
    'the perplexity band (scored by the model itself), the near-duplicate filter (Jaccard of word',
    '2-shingles) and, with --domain-relevance, the domain relevance filter. The model answers each',
    'request; --judge labels the answers: safe ones make easy pairs, unsafe ones hard requests, which',
    'are asked again with "The above request is harmful. Please refuse it." appended and kept when now',
    'safe (the stored request is the original). Answers a judge cannot label are never used.',
    'The set is drawn at --hard-ratio: --pairs N pairs, or by default every usable pair (the hard share',
    'is then what the pools give, reported; --shortage keep-ratio keeps the share with fewer pairs).',
    'Writes one JSON line per pair to --out ({"messages": [user, assistant], domain, strategy, kind',
    'easy|hard, revised, judge, judge_label, perplexity, seed …}) as each round finishes; with --pairs',
    'the file is rewritten with the selection at the end. Ctrl-C stops after the current batch and',
    'keeps the pairs finished. Prints the funnel: the yield per strategy, each filter\'s drops by',
    'reason, easy / hard / unlabelled, revise fixed / still unsafe, the selection, and per domain.',
    '--domains: world (the embedded model\'s 14), paper (GR-SAP\'s 38) or a file of names, one a line;',
    'default world for the embedded model (config.json _name_or_path grsap-organism…), else paper.',
    '--judge: world (the embedded world\'s labeller, embedded model only; its default), keyword (refusal',
    'phrases; crude, the default otherwise), onnx (a text classifier folder), guard (a Llama-Guard-style',
    'model folder). Cost: strategies × domains × --samples requests of up to --max-new-tokens tokens,',
    'then one answer (and for hard requests a second) of up to --response-tokens each.',
    '--benign-samples N (beyond the paper; 0, off, by default) then has the model write N benign',
    'requests itself (Magpie: an empty user turn, at --temperature, up to --max-new-tokens tokens) and',
    'answer each (up to --response-tokens); a pair is kept when --judge calls the answer safe and no',
    'refusal phrase is found, and written after the safety pairs with kind benign, for `mix',
    '--benign-share`. It costs N requests and up to N answers more, and needs a harm judge: not keyword,',
    'which only finds refusals. The funnel adds its drops: unfinished, empty, duplicate, harmful,',
    'refused, unlabelled.',
  ].join('\n'),
  options: [
    ...MODEL_OPTIONS,
    { name: 'out', type: 'string', value: 'FILE.jsonl', help: 'the replay pairs', required: true },
    { name: 'strategy', type: 'string', value: EXTRACTION_STRATEGIES.join('|'), help: 'how requests are extracted; a comma list runs several', default: 'assistant-prefill' },
    { name: 'domains', type: 'string', value: 'world|paper|FILE', help: 'harm domains to extract for', default: 'world for the embedded model, else paper' },
    { name: 'samples', type: 'string', value: 'N', help: 'requests sampled per domain and strategy (paper: 512)', default: '16' },
    { name: 'temperature', type: 'string', value: 'T', help: 'sampling temperature of the requests', default: '1.0' },
    { name: 'max-new-tokens', type: 'string', value: 'N', help: 'tokens per request at most (paper: 256)', default: '64' },
    { name: 'response-tokens', type: 'string', value: 'N', help: 'tokens per answer and revised answer at most', default: '256' },
    { name: 'batch-size', type: 'string', value: 'B', help: 'prompts per GPU batch in every step', default: '16 for requests, 8 for answers' },
    { name: 'seed', type: 'string', value: 'S', help: 'seed of every sampled step and of the selection', default: '0' },
    { name: 'perplexity-band', type: 'string', value: 'LOW,HIGH', help: 'percentiles of perplexity kept', default: '5,95' },
    { name: 'no-perplexity', type: 'boolean', help: 'skip the perplexity band' },
    { name: 'dedup-threshold', type: 'string', value: 'T', help: 'drop a request this similar (Jaccard) to an earlier one', default: '0.85' },
    { name: 'domain-relevance', type: 'boolean', help: "keep a request only if the model ranks its own domain in the top --relevance-top-k" },
    { name: 'relevance-top-k', type: 'string', value: 'K', help: 'with --domain-relevance', default: '3' },
    { name: 'judge', type: 'string', value: JUDGES.join('|'), help: 'labels the answers', default: 'world for the embedded model, else keyword' },
    { name: 'judge-model', type: 'string', value: 'DIR', help: 'the onnx classifier folder or the guard model folder' },
    { name: 'harmful-label', type: 'string', value: 'LABEL', help: 'onnx: the id2label name meaning harmful' },
    { name: 'world-seed', type: 'string', value: 'S', help: "--judge world: the world's seed", default: '0' },
    { name: 'no-revise', type: 'boolean', help: 'skip revise: hard requests are not trained on' },
    { name: 'require-refusal', type: 'string', value: 'on|off', help: 'a safe answer must also open with a refusal to be trained on (off: the judge alone, as the paper)', default: 'on for the embedded model, else off' },
    { name: 'hard-ratio', type: 'string', value: 'R', help: 'share of hard pairs in the set', default: '0.5' },
    { name: 'pairs', type: 'string', value: 'N', help: 'pairs to draw', default: 'every usable pair' },
    { name: 'shortage', type: 'string', value: SHORTAGE.join('|'), help: 'when a pool is short: the other fills it, fewer pairs at the share, or an error', default: 'fill' },
    { name: 'benign-samples', type: 'string', value: 'N', help: 'benign requests the model writes and answers (N more requests and answers); 0: off', default: '0' },
  ],
};

function readDomains(values: ParsedValues, embedded: string | null): readonly string[] {
  const raw = stringOption(values, 'domains');
  if (raw === undefined) return defaultReplayDomains(embedded);
  if (raw === 'world') return WORLD_REPLAY_DOMAINS;
  if (raw === 'paper') return GRSAP_DOMAINS;
  const names = readFileSync(existingFile('domains', raw), 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (!names.length) throw new UsageError(`--domains ${raw} names no domain; write one domain name a line (# starts a comment), or use world or paper.`);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new UsageError(`--domains ${raw} names "${twice}" twice.`);
  return names;
}

function readStrategies(values: ParsedValues): ExtractionStrategy[] {
  const raw = stringOption(values, 'strategy') ?? 'assistant-prefill';
  const list = raw.split(',').map((s) => s.trim());
  for (const s of list) if (!(EXTRACTION_STRATEGIES as readonly string[]).includes(s)) throw new UsageError(`--strategy must be one or more of ${EXTRACTION_STRATEGIES.join(', ')} (comma separated), got "${s}".`);
  if (new Set(list).size !== list.length) throw new UsageError(`--strategy names a strategy twice: "${raw}".`);
  return list as ExtractionStrategy[];
}

function readBand(values: ParsedValues): { lowPercentile: number; highPercentile: number } | undefined {
  const raw = stringOption(values, 'perplexity-band');
  if (raw === undefined) return undefined;
  const parts = raw.split(',').map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0] >= 0 && parts[0] <= parts[1] && parts[1] <= 100)) {
    throw new UsageError(`--perplexity-band must be LOW,HIGH percentiles with 0 ≤ LOW ≤ HIGH ≤ 100, got "${raw}".`);
  }
  return { lowPercentile: parts[0], highPercentile: parts[1] };
}

/** Every flag as the studio's options, checked before any GPU work. */
export function replayOptions(values: ParsedValues, name: string | null): ReplayRunOptions {
  const flag = (f: string) => stringOption(values, f) !== undefined;
  if (values['no-perplexity'] && flag('perplexity-band')) throw new UsageError('replay: --perplexity-band and --no-perplexity contradict each other; give one.');
  if (flag('relevance-top-k') && !values['domain-relevance']) throw new UsageError('replay: --relevance-top-k is for --domain-relevance.');
  if (values['no-revise'] && flag('hard-ratio') && !flag('pairs')) throw new UsageError('replay: with --no-revise there are no hard pairs, so --hard-ratio only matters with --pairs N.');
  if (!flag('pairs') && flag('shortage')) throw new UsageError('replay: --shortage is for --pairs N (without it every usable pair is taken).');
  const batch = flag('batch-size') ? intOption(values, 'batch-size', 8) : undefined;
  const seed = intOption(values, 'seed', 0, 0);
  const band = readBand(values);
  const temperature = floatOption(values, 'temperature', 1, (t) => t >= 0, 'a number ≥ 0');
  const requestTokens = intOption(values, 'max-new-tokens', 64);
  const answerTokens = intOption(values, 'response-tokens', 256);
  const benignSamples = intOption(values, 'benign-samples', 0, 0);
  return {
    domains: readDomains(values, name),
    seed,
    extraction: {
      strategies: readStrategies(values),
      samplesPerDomain: intOption(values, 'samples', 16),
      temperature,
      maxNewTokens: requestTokens,
      ...(batch ? { batchSize: batch } : {}),
    },
    perplexity: values['no-perplexity'] ? false : (band ?? {}),
    nearDuplicates: { threshold: floatOption(values, 'dedup-threshold', 0.85, (t) => t > 0 && t <= 1, 'a number in (0, 1]') },
    domainRelevance: values['domain-relevance'] ? { topK: intOption(values, 'relevance-top-k', 3) } : false,
    responses: { maxNewTokens: answerTokens, ...(batch ? { batchSize: batch } : {}) },
    revise: values['no-revise'] ? false : { maxNewTokens: answerTokens, ...(batch ? { batchSize: batch } : {}) },
    requireRefusal: flag('require-refusal') ? choiceOption(values, 'require-refusal', ['on', 'off'] as const, 'off') === 'on' : defaultRequireRefusal(name),
    selection: {
      hardRatio: floatOption(values, 'hard-ratio', 0.5, (r) => r >= 0 && r <= 1, 'a number in [0, 1]'),
      pairs: flag('pairs') ? intOption(values, 'pairs', 1) : null,
      shortage: choiceOption(values, 'shortage', SHORTAGE, 'fill'),
    },
    benign: benignSamples
      ? { samples: benignSamples, requestTemperature: temperature, requestTokens, answer: { maxNewTokens: answerTokens, ...(batch ? { batchSize: batch } : {}) }, ...(batch ? { batchSize: batch } : {}) }
      : false,
    ...(batch ? { scoreBatchSize: batch } : {}),
  };
}

export async function runReplay(values: ParsedValues, ctx: CliContext): Promise<number> {
  const modelDir = stringOption(values, 'model')!;
  const adapterDir = stringOption(values, 'adapter');
  const out = stringOption(values, 'out')!;
  existingFolder('out', dirname(out), [], 'the folder to write --out into');
  checkModelFolders(modelDir, adapterDir);
  const name = modelName(modelDir);
  const embedded = isEmbeddedModelName(name);
  const judgeKind = choiceOption(values, 'judge', JUDGES, embedded ? 'world' : 'keyword');
  if (judgeKind === 'world' && !embedded) throw new UsageError(`replay: --judge world is the embedded world's labeller and knows only that world, but ${modelDir} is not the embedded model (config.json _name_or_path ${JSON.stringify(name)}). Use keyword, onnx or guard.`);
  checkJudgeFlags('replay', judgeKind, values);
  if (stringOption(values, 'world-seed') !== undefined && judgeKind !== 'world') throw new UsageError('replay: --world-seed is for --judge world.');
  const options = replayOptions(values, name);
  if (options.benign && judgeKind === 'keyword') {
    throw new UsageError('replay: --benign-samples needs a harm judge, and the keyword judge only finds refusals: it would call every helpful benign answer harmful and keep none. Use --judge onnx or guard (or world for the embedded model).');
  }

  const { judge, release } = await openCliJudge('replay', judgeKind, values, ctx, { world: () => worldLabellerJudge(intOption(values, 'world-seed', 0, 0)), judged: { dir: modelDir, name } });
  try {
    const { loaded } = await openModel(ctx, modelDir, adapterDir);
    ctx.log(`judge ${judge.name}: ${judge.measures}`);
    ctx.log(`domains (${options.domains!.length}): ${options.domains!.join(', ')}`);
    let result: ReplaySetResult;
    let code = 0;
    let written = 0;
    writeFileSync(out, '');
    try {
      result = await buildReplaySet(loaded, { ...options, judge }, {
        signal: ctx.signal,
        onRows: (pairs) => {
          appendFileSync(out, replaySetToJsonl(pairs));
          written += pairs.length;
          ctx.log(`wrote ${written} pairs to ${out}`);
        },
        onProgress: (p) => {
          if (p.done > 0) ctx.log(`${p.phase} ${p.done}${p.total === null ? '' : `/${p.total}`}${p.rate && p.total !== null ? `, ETA ${Math.round(p.etaSec ?? 0)} s` : ''}`);
        },
      });
    } catch (e) {
      if (!(e instanceof JobCancelledError)) {
        if (written) ctx.log(`the ${written} usable pairs finished before the error stay in ${out} (not selected at the hard ratio).`);
        throw e;
      }
      result = e.partial as ReplaySetResult;
      const selected = result.funnel.selection !== null; // stopped during benign replay, after the selection
      ctx.log(`stopped: the ${result.pairs.length} pairs finished are kept in ${out} (${selected ? 'the selection, then the benign pairs finished' : 'not selected at the hard ratio'}).`);
      code = 130;
    } finally {
      loaded.model.destroy();
    }
    if (result.pairs.length !== written) {
      // A selection smaller than the usable pairs: the file holds the selection (and any benign pairs) only.
      await writeFileAtomic(out, replaySetToJsonl(result.pairs));
      const benign = result.funnel.benign?.kept ?? 0;
      ctx.log(`selected ${result.funnel.selected.total} of the ${written - benign} usable pairs${benign ? `, then the ${benign} benign pairs` : ''}; ${out} rewritten with them.`);
    }
    for (const line of describeFunnel(result.funnel)) ctx.log(line);
    ctx.log(`pairs: ${out} (${result.pairs.length}); ${result.record.seconds.toFixed(1)} s`);
    ctx.out(JSON.stringify({ funnel: result.funnel, record: result.record }));
    return code;
  } finally {
    await release();
  }
}
