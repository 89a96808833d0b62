// The --judge / --judge-model / --harmful-label options the judge, replay and evaluate commands
// share: checked once, the judge opened once, released by the caller. The embedded guard learned
// the embedded world's answers only, so it is refused for any other model's answers, as the app
// refuses it.

import { NodeFolderModelSource } from '../storage/model-source';
import { EMBEDDED_GUARD_JUDGE, generativeGuardJudge, keywordRefusalJudge, loadOnnxClassifierJudge, type Judge, type OnnxClassifierOptions } from '../studio/judges';
import { isEmbeddedModelName } from '../studio/replay';
import { existingFolder, stringOption, UsageError, type ParsedValues } from './args';
import { checkModelFolders, openModel, type CliContext } from './common';

export const JUDGE_KINDS = ['world', 'keyword', 'onnx', 'guard'] as const;
export type JudgeKind = (typeof JUDGE_KINDS)[number];

export interface OpenedJudge {
  judge: Judge;
  release: () => Promise<void>;
}

/** Refuses judge flags that do not go together: a judge model for keyword or world, none for onnx or guard, a label for anything but onnx. */
export function checkJudgeFlags(command: string, kind: JudgeKind, values: ParsedValues): void {
  const needsModel = kind === 'onnx' || kind === 'guard';
  if (needsModel && stringOption(values, 'judge-model') === undefined) throw new UsageError(`${command}: --judge ${kind} needs --judge-model DIR.`);
  if (!needsModel && stringOption(values, 'judge-model') !== undefined) throw new UsageError(`${command}: the ${kind} judge takes no --judge-model.`);
  if (stringOption(values, 'harmful-label') !== undefined && kind !== 'onnx') throw new UsageError(`${command}: --harmful-label is for --judge onnx.`);
}

export interface JudgeOpening {
  world?: () => Judge; // the world's labeller, where the command allows it
  judged?: { dir: string; name: string | null }; // the model whose answers are judged (its config.json _name_or_path)
  batchSize?: number;
  pairEncoding?: OnnxClassifierOptions['pairEncoding'];
}

/** Opens the judge the flags name (checked by checkJudgeFlags first). */
export async function openCliJudge(command: string, kind: JudgeKind, values: ParsedValues, ctx: CliContext, opening: JudgeOpening = {}): Promise<OpenedJudge> {
  const judgeModel = stringOption(values, 'judge-model');
  const none = async () => {};
  if (kind === 'world') {
    if (!opening.world) throw new UsageError(`${command}: --judge world is not offered here; use keyword, onnx or guard.`);
    return { judge: opening.world(), release: none };
  }
  if (kind === 'keyword') return { judge: keywordRefusalJudge(), release: none };
  if (kind === 'onnx') {
    existingFolder('judge-model', judgeModel!, ['model.onnx', 'config.json', 'tokenizer.json'], 'an ONNX text classifier (model.onnx, config.json, tokenizer.json)');
    const onnx = await loadOnnxClassifierJudge(new NodeFolderModelSource(judgeModel!), { harmfulLabel: stringOption(values, 'harmful-label'), batchSize: opening.batchSize, pairEncoding: opening.pairEncoding });
    const judged = opening.judged;
    if (onnx.name === EMBEDDED_GUARD_JUDGE && judged && !isEmbeddedModelName(judged.name)) {
      await onnx.dispose();
      throw new UsageError(
        `${command}: the embedded guard (${judgeModel}) learned the embedded world's answers only, and ${judged.dir} is not the embedded model (config.json _name_or_path ${JSON.stringify(judged.name)}); judge it with an ONNX classifier or a guard model made for real answers, or with --judge keyword.`,
      );
    }
    return { judge: onnx, release: () => onnx.dispose() };
  }
  checkModelFolders(judgeModel!);
  const { loaded } = await openModel(ctx, judgeModel!);
  return { judge: generativeGuardJudge(loaded, { batchSize: opening.batchSize }), release: async () => loaded.model.destroy() };
}
