// Judges wired to what the studio has: a generative guard runs on a model loaded by our engine
// (greedy, its own chat template); an ONNX text classifier is read from a model source (the
// embedded guard's folder, a Hub repository, local files); any judge's verdicts come with the
// keyword refusal judge's beside them.

import type { JudgeChoice, ModelRequest } from './api';
import type { Gpu } from './device';
import { loadModel, type LoadedModel } from './load-model';
import { harmfulRatio, judgeAgreement, refusalRate, type HarmfulRatio, type JudgeAgreement, type RefusalRate } from '../safety/judge-metrics';
import { GenerativeGuardJudge, type GuardGenerate } from '../safety/judges/generative-guard';
import type { Judge, JudgeOptions, JudgePair, Verdict } from '../safety/judges/judge';

export type { HarmfulRatio, Judge, JudgePair, OnnxClassifierOptions, Verdict };
import { KeywordRefusalJudge } from '../safety/judges/keyword-refusal';
import { OnnxClassifierJudge, type OnnxClassifierOptions } from '../safety/judges/onnx-classifier';
import type { ModelSource } from '../storage/model-source';
import { generateTexts } from './inference';
import { WorldLabellerJudge } from './eval-world';
import { generateWorldData } from '../world';

export interface GuardGenerationOptions {
  maxNewTokens?: number; // "unsafe\nS1,S10" fits in a dozen tokens of a Llama-3 vocabulary: 12
  batchSize?: number; // conversations per GPU batch: 8
}

/** Greedy generation on `loaded` for a GenerativeGuardJudge; the guard's chat template renders each conversation. */
export function engineGuardGenerate(loaded: LoadedModel, options: GuardGenerationOptions = {}): GuardGenerate {
  if (!loaded.template) throw new Error(`${loaded.id} has no chat template; a generative guard is prompted through its own template (e.g. Llama Guard's tokenizer_config.json).`);
  return async (conversations, signal) => {
    const results = await generateTexts(loaded, conversations, {
      chat: true,
      maxNewTokens: options.maxNewTokens ?? 12,
      sampling: { temperature: 0 },
      batchSize: options.batchSize ?? 8,
      signal,
    });
    return results.map((r) => r.completion);
  };
}

export function generativeGuardJudge(loaded: LoadedModel, options: GuardGenerationOptions = {}): GenerativeGuardJudge {
  return new GenerativeGuardJudge({ name: `guard:${loaded.id}`, generate: engineGuardGenerate(loaded, options), batchSize: options.batchSize });
}

/** The keyword refusal judge (it measures refusal, not harm). */
export function keywordRefusalJudge(): Judge {
  return new KeywordRefusalJudge();
}

/** The world's rule-based labeller as a judge: for models of that world (the embedded organism) only. */
export function worldLabellerJudge(worldSeed = 0): Judge {
  return WorldLabellerJudge.forWorld(generateWorldData({ seed: worldSeed }));
}

/** An ONNX text-classification judge from a folder with model.onnx, config.json and tokenizer.json. */
export async function loadOnnxClassifierJudge(source: ModelSource, options: OnnxClassifierOptions = {}): Promise<OnnxClassifierJudge> {
  for (const name of ['model.onnx', 'config.json', 'tokenizer.json']) {
    if (!(await source.has(name))) throw new Error(`${source.id} has no ${name}; an ONNX text-classification judge needs model.onnx, config.json (id2label) and tokenizer.json.`);
  }
  const file = await source.open('model.onnx');
  let model: Uint8Array;
  try {
    model = (await file.read(0, file.size)).slice();
  } finally {
    await file.close?.();
  }
  const tokenizerConfig = (await source.has('tokenizer_config.json')) ? await source.json('tokenizer_config.json') : undefined;
  const config = await source.json<Record<string, unknown>>('config.json');
  const nameOrPath = typeof config._name_or_path === 'string' && config._name_or_path ? config._name_or_path : source.id;
  return OnnxClassifierJudge.create(
    { model, config, tokenizerJson: await source.json('tokenizer.json'), tokenizerConfig },
    { name: `onnx:${nameOrPath}`, ...options },
  );
}

export interface JudgedPairs {
  verdicts: Verdict[]; // the chosen judge's, in input order
  keyword: Verdict[]; // the keyword refusal judge's, for the refusal rate and a cross-check
  harmful: HarmfulRatio; // names the judge that produced it
  refusal: RefusalRate;
  agreement: JudgeAgreement | null; // null when the chosen judge is the keyword judge itself
}

/**
 * Judge pairs with `judge` and, beside it, with the keyword refusal judge: the harmful ratio (by
 * `judge`, unlabelled counted apart), the refusal rate, and how often the two agree.
 */
export async function judgeWithRefusalCheck(judge: Judge, pairs: readonly JudgePair[], options: JudgeOptions = {}): Promise<JudgedPairs> {
  const verdicts = await judge.judge(pairs, options);
  const keywordJudge = new KeywordRefusalJudge();
  const keyword = judge.name === keywordJudge.name ? verdicts : await keywordJudge.judge(pairs, { signal: options.signal });
  return {
    verdicts,
    keyword,
    harmful: harmfulRatio(verdicts),
    refusal: refusalRate(keyword),
    agreement: keyword === verdicts ? null : judgeAgreement(verdicts, keyword),
  };
}

/** The embedded guard's judge name (its config.json's _name_or_path). */
export const EMBEDDED_GUARD_JUDGE = 'onnx:grsap-guard';

/** Where openJudge gets a judge model and the GPU from. */
export interface JudgeOpening {
  source: (model: ModelRequest) => Promise<ModelSource>;
  gpu: () => Promise<Gpu>;
  signal?: AbortSignal;
  judged?: { id: string; world: boolean }; // the model whose answers are judged: the world's labeller knows only the world's model
}

/** The judge a replay run asked for, and how to release it. */
export async function openJudge(choice: JudgeChoice, opening: JudgeOpening): Promise<{ judge: Judge; release: () => Promise<void> }> {
  const none = async () => {};
  switch (choice.kind) {
    case 'keyword':
      return { judge: keywordRefusalJudge(), release: none };
    case 'world':
      if (opening.judged && !opening.judged.world) {
        throw new Error(`The world's labeller knows only the embedded world, and ${opening.judged.id} is not the embedded model; judge it with an ONNX classifier or a guard model.`);
      }
      return { judge: worldLabellerJudge(choice.worldSeed ?? 0), release: none };
    case 'onnx': {
      const judge = await loadOnnxClassifierJudge(await opening.source(choice.model), { harmfulLabel: choice.harmfulLabel });
      if (judge.name === EMBEDDED_GUARD_JUDGE && opening.judged && !opening.judged.world) {
        await judge.dispose();
        throw new Error(`The embedded guard (grsap-guard) learned the embedded world's answers only, and ${opening.judged.id} is not the embedded model; judge it with an ONNX classifier or a guard model made for real answers, or with refusal keywords.`);
      }
      return { judge, release: () => judge.dispose() };
    }
    case 'guard': {
      const guard = await loadModel(await opening.gpu(), await opening.source(choice.model), { signal: opening.signal });
      return { judge: generativeGuardJudge(guard), release: async () => guard.model.destroy() };
    }
    default:
      throw new Error(`Unknown judge ${JSON.stringify((choice as { kind?: unknown }).kind)}; use keyword, world, onnx or guard.`);
  }
}

/** Run `work` with the judge `choice` names, opened for it and released after, however `work` ends. */
export async function withJudge<R>(choice: JudgeChoice, opening: JudgeOpening, work: (judge: Judge) => Promise<R>): Promise<R> {
  const { judge, release } = await openJudge(choice, opening);
  try {
    return await work(judge);
  } finally {
    await release();
  }
}
