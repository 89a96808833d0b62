// Evaluating one's own models in the app: the untuned model and the adapters trained in the Train
// step, each asked the user's harmful prompts (AdvBench's goal,target CSV or JSONL), optionally
// over-refusal prompts and the test split of the user's task data, greedily, every answer judged
// by the judge the user chose with the keyword refusal judge beside it. The task is measured by the
// answers (contains / is the reference) or by the held-out loss of the reference answers (no
// generation: the mean loss per assistant token, as training's eval loss). Sets are parsed here,
// in the worker, so a bad line is named; the figures are the CLI evaluate's (eval-summary.ts).

import type { ChatExample } from '../text/datasets';
import type { Judge } from '../safety/judges/judge';
import type { Adaptation } from '../model/model';
import { parsePromptSet, type EvalSet, type UserCheck } from './eval-sets';
import type { EvalRow, EvalSummary } from './eval-summary';
import { evaluateModel, type EvaluationRecord } from './evaluate';
import type { JobProgress } from './jobs';
import type { LoadedModel } from './load-model';
import { evalLoss, prepareEvalSet } from './training';

/** How the task is measured: by the answers (eval-sets.ts), or by the held-out loss of the references. */
export type TaskMeasure = UserCheck | 'loss';

/** Sequences longer than this are cut for the held-out loss (as training cuts them at its max length). */
const LOSS_MAX_LENGTH = 512;

export interface EvaluateRequest {
  harmful: { fileName: string; text: string }; // the harmful prompts (required: the harmful ratio is the point)
  overRefusal?: { fileName: string; text: string }; // benign prompts that look harmful
  task?: { name: string; examples: ChatExample[]; check: TaskMeasure }; // e.g. the test split of the user's data
  models: (string | null)[]; // adapter ids of the loaded model; null is the untuned model
  maxNewTokens?: number; // per answer; default 128
  limit?: number; // at most this many prompts per set (the first ones)
}

export interface ModelEvaluation {
  model: string; // 'untuned' or the adapter's name
  adapterId: string | null;
  summary: EvalSummary;
  record: EvaluationRecord;
  taskLoss?: { name: string; loss: number; examples: number }; // check 'loss': mean loss per assistant token of the task's references
}

/** The task's examples as an evaluation set: the last user turn asked, the last assistant turn the reference. */
export function taskSetFromExamples(name: string, examples: readonly ChatExample[], check: UserCheck): EvalSet {
  const items = examples.flatMap((e, i) => {
    const prompt = e.messages.filter((m) => m.role === 'user').at(-1)?.content;
    const reference = e.messages.at(-1)?.role === 'assistant' ? e.messages.at(-1)!.content : undefined;
    return prompt && reference ? [{ id: `${i + 1}`, prompt, domain: null, reference, check: { kind: check } }] : [];
  });
  if (!items.length) throw new Error(`${name}: no example has a user turn and an assistant answer to check.`);
  return { name, kind: 'task', items };
}

export function evaluationSets(request: EvaluateRequest): EvalSet[] {
  const cap = (s: EvalSet): EvalSet => (request.limit ? { ...s, items: s.items.slice(0, request.limit) } : s);
  const sets = [cap(parsePromptSet(request.harmful.text, request.harmful.fileName, 'harmful'))];
  if (request.overRefusal) sets.push(cap(parsePromptSet(request.overRefusal.text, request.overRefusal.fileName, 'over-refusal', `over-refusal: ${request.overRefusal.fileName}`)));
  const task = request.task;
  if (task && task.check !== 'loss') sets.push(cap(taskSetFromExamples(task.name, task.examples, task.check)));
  return sets;
}

/**
 * Evaluate each model of the request in turn on the loaded base weights; `adaptationOf` gives an
 * adapter id's adaptation and name. The attachment found is restored at the end. Progress phases
 * are 'evaluate <model>'; the payload is the finished rows.
 */
export async function evaluateModels(
  loaded: LoadedModel,
  request: EvaluateRequest,
  judge: Judge,
  adaptationOf: (id: string) => { adaptation: Adaptation; name: string },
  options: { signal?: AbortSignal; onProgress?: (p: JobProgress<EvalRow[]>) => void } = {},
): Promise<ModelEvaluation[]> {
  if (!request.models.length) throw new Error('evaluate: choose at least one model (the untuned one, or an adapter).');
  const sets = evaluationSets(request);
  const task = request.task;
  const lossSet = task?.check === 'loss' ? prepareEvalSet(loaded, request.limit ? task.examples.slice(0, request.limit) : task.examples, LOSS_MAX_LENGTH) : null;
  if (lossSet && !lossSet.examples.length) throw new Error(`${task!.name}: no example has an assistant answer to score.`);
  const before = loaded.model.attachment;
  const out: ModelEvaluation[] = [];
  try {
    for (const id of request.models) {
      const chosen = id === null ? null : adaptationOf(id);
      if (chosen) loaded.model.attach(chosen.adaptation);
      else loaded.model.detach();
      const model = chosen?.name ?? 'untuned';
      const result = await evaluateModel(loaded, sets, {
        harmJudge: judge,
        maxNewTokens: request.maxNewTokens,
        signal: options.signal,
        onProgress: (p) => options.onProgress?.({ ...p, phase: `evaluate ${model}` }),
      });
      const taskLoss = lossSet ? { name: task!.name, loss: await evalLoss(loaded, lossSet, 4, options.signal), examples: lossSet.examples.length } : undefined;
      out.push({ model, adapterId: id, summary: result.summary, record: result.record, ...(taskLoss ? { taskLoss } : {}) });
    }
  } finally {
    if (before) loaded.model.attach(before);
    else loaded.model.detach();
  }
  return out;
}
