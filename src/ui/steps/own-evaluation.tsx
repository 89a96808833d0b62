// The user's own models' safety, in the Results step: the untuned model and the adapters trained in
// the Train step asked the user's harmful prompts (AdvBench's goal,target CSV or JSONL), optionally
// over-refusal prompts and the test split of the user's task data, greedily; each answer judged by
// the judge chosen, the keyword refusal judge beside it. Only figures are shown, never the answers.

import { useEffect, useState } from 'preact/hooks';
import type { AdapterInfo, BuiltinEvalSets, EvalRow, JobId, ModelEvaluation, SetSummary, TaskMeasure } from '../../studio/api';
import { runJob } from '../../worker/client';
import { JudgeFields, judgeChoiceOf, judgeDefault, type JudgeState } from '../parts/judge-fields';
import { busy, model, type Studio } from '../state';
import { userDataset, userExamples } from '../user-dataset';

type PromptFile = { fileName: string; text: string } | null;
const pct = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${v.toFixed(1)} %`);

function figures(e: ModelEvaluation) {
  const of = <K extends SetSummary['kind']>(kind: K) => e.summary.sets.find((s) => s.kind === kind) as Extract<SetSummary, { kind: K }> | undefined;
  const harmful = of('harmful');
  const over = of('over-refusal');
  const task = of('task');
  return {
    harmful: harmful ? `${pct(harmful.harmful.ratio)} of ${harmful.harmful.labelled}${harmful.harmful.unlabelled ? ` (${harmful.harmful.unlabelled} unlabelled)` : ''}` : 'n/a',
    refusal: harmful ? pct(harmful.refusal.rate) : 'n/a',
    overRefusal: over ? pct(over.overRefusal.rate) : '—',
    task: task ? `${pct(task.accuracy)} (${task.check})` : e.taskLoss ? `loss ${e.taskLoss.loss.toFixed(3)} (held-out, ${e.taskLoss.examples} answer${e.taskLoss.examples === 1 ? '' : 's'})` : '—',
  };
}

export function OwnEvaluation({ studio }: { studio: Studio }) {
  const m = model.value;
  const world = m.kind === 'ready' && m.summary.world;
  const [judge, setJudge] = useState<JudgeState>(() => judgeDefault(world));
  const [harmful, setHarmful] = useState<PromptFile>(null);
  const [overRefusal, setOverRefusal] = useState<PromptFile>(null);
  const [withTask, setWithTask] = useState(true);
  const [check, setCheck] = useState<TaskMeasure>('contains');
  const [limit, setLimit] = useState(100);
  const [tokens, setTokens] = useState(128);
  const [adapters, setAdapters] = useState<AdapterInfo[]>([]);
  const [chosen, setChosen] = useState<Set<string>>(new Set(['untuned']));
  const [job, setJob] = useState<Promise<JobId> | null>(null);
  const [line, setLine] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [results, setResults] = useState<ModelEvaluation[] | null>(null);
  const ready = m.kind === 'ready';
  const ds = userDataset.value;
  const [builtin, setBuiltin] = useState<BuiltinEvalSets | null>(null);
  useEffect(() => void studio.engine.builtinEvalSets().then(setBuiltin), []);

  useEffect(() => {
    if (ready) void studio.engine.adapters().then(setAdapters);
    setJudge((j) => (world ? j : j.kind === 'world' ? { ...j, kind: 'keyword' } : j));
  }, [ready, world, busy.value]);

  async function read(file: File | undefined, set: (f: PromptFile) => void) {
    set(file ? { fileName: file.name, text: await file.text() } : null);
  }

  async function run() {
    const choice = judgeChoiceOf(judge);
    if (typeof choice === 'string') return setError(choice);
    if (!harmful) return setError('Choose a file of harmful prompts first (AdvBench\'s harmful_behaviors.csv, or JSONL with a "prompt" per line).');
    const models = [...chosen].filter((id) => id === 'untuned' || adapters.some((a) => a.id === id)).map((id) => (id === 'untuned' ? null : id));
    setError(null);
    setResults(null);
    setLine('Starting…');
    busy.value = 'An evaluation is in progress';
    const task = withTask && ds && ds.split.test.length ? { name: `${ds.name} (test split)`, examples: userExamples(ds, 'test'), check } : undefined;
    const evaluation = runJob<EvalRow[], ModelEvaluation[]>(
      (listener) => studio.engine.evaluate({ judge: choice, harmful, overRefusal: overRefusal ?? undefined, task, models, limit, maxNewTokens: tokens }, listener),
      (p) => setLine(`${p.phase}: ${p.done}${p.total !== null ? ` of ${p.total}` : ''}${p.etaSec !== null && Number.isFinite(p.etaSec) ? `, ${Math.ceil(p.etaSec)} s left` : ''}`),
    );
    setJob(evaluation.id);
    const end = await evaluation.end;
    setJob(null);
    busy.value = null;
    if (end.status === 'done') {
      setResults(end.result);
      setLine('Done.');
    } else {
      setLine('');
      setError(end.status === 'failed' ? end.error : 'Stopped.');
    }
  }

  const toggle = (id: string, on: boolean) => setChosen((c) => (on ? new Set([...c, id]) : new Set([...c].filter((x) => x !== id))));

  return (
    <section data-testid="own-evaluation">
      <h3>Your own models' safety</h3>
      <p class="hint">
        Ask the untuned model and the adapters trained in the Train step your harmful prompts (AdvBench's <code>goal,target</code> CSV, or JSONL with a prompt per line), and
        optionally scary-sounding but harmless prompts and your dataset's test split. Answers are greedy and judged by the judge you choose, with refusal keywords beside it; only
        the figures are shown.
      </p>
      {builtin ? (
        <>
          <div class="row">
            <button
              type="button"
              data-testid="eval-builtin"
              onClick={() => {
                setHarmful(builtin.harmful);
                setOverRefusal(builtin.overRefusal);
              }}
            >
              Use the built-in sets ({builtin.harmful.count} harmful, {builtin.overRefusal.count} over-refusal)
            </button>
            <span class="hint" data-testid="eval-sets-chosen">
              {harmful ? `Harmful: ${harmful.fileName}` : 'No harmful prompts chosen yet'}
              {overRefusal ? `; over-refusal: ${overRefusal.fileName}` : ''}
            </span>
          </div>
          <p class="hint">{builtin.provenance}</p>
        </>
      ) : null}
      <div class="form-grid">
        <label>
          Harmful prompts <input type="file" accept=".csv,.jsonl,.json" data-testid="eval-harmful-file" onChange={(e) => void read(e.currentTarget.files?.[0], setHarmful)} />
        </label>
        <label>
          Over-refusal prompts (optional) <input type="file" accept=".csv,.jsonl,.json" onChange={(e) => void read(e.currentTarget.files?.[0], setOverRefusal)} />
        </label>
        <label>
          Prompts per set (the first)
          <input type="number" min="1" value={limit} onInput={(e) => setLimit(Math.max(1, Math.floor(Number(e.currentTarget.value) || 1)))} />
        </label>
        <label>
          Tokens per answer
          <input type="number" min="1" max="1024" value={tokens} onInput={(e) => setTokens(Math.max(1, Math.floor(Number(e.currentTarget.value) || 1)))} />
        </label>
        <JudgeFields value={judge} onChange={setJudge} world={world} testId="eval-judge" />
        {ds && ds.split.test.length ? (
          <fieldset>
            <legend>The task on {ds.name}'s test split ({ds.split.test.length})</legend>
            <label>
              <input type="checkbox" checked={withTask} onChange={(e) => setWithTask(e.currentTarget.checked)} /> measure it
            </label>
            <label>
              Measured by
              <select value={check} onChange={(e) => setCheck(e.currentTarget.value as TaskMeasure)}>
                <option value="contains">accuracy: answer contains the reference (default)</option>
                <option value="exact">accuracy: answer is the reference</option>
                <option value="loss">held-out loss of the references (lower is better)</option>
              </select>
            </label>
          </fieldset>
        ) : null}
        <fieldset data-testid="eval-models">
          <legend>Models</legend>
          <label>
            <input type="checkbox" checked={chosen.has('untuned')} onChange={(e) => toggle('untuned', e.currentTarget.checked)} /> untuned
          </label>
          {adapters.map((a) => (
            <label key={a.id}>
              <input type="checkbox" checked={chosen.has(a.id)} onChange={(e) => toggle(a.id, e.currentTarget.checked)} /> {a.name}
            </label>
          ))}
        </fieldset>
      </div>
      <div class="row">
        <button type="button" data-testid="run-own-evaluation" disabled={!ready || !!job || busy.value !== null || !chosen.size} onClick={() => void run()}>
          Evaluate
        </button>
        <button type="button" disabled={!job} onClick={() => void job?.then((id) => studio.engine.cancel(id))}>
          Stop
        </button>
        <span class="status" data-testid="own-evaluation-status" aria-live="polite">
          {line}
        </span>
      </div>
      {error ? (
        <p class="error" data-testid="own-evaluation-error">
          {error}
        </p>
      ) : null}
      {results ? (
        <table class="sizes" data-testid="own-evaluation-results">
          <caption>Judge: {results[0]?.summary.judge ?? 'none'}; refusal by keywords</caption>
          <thead>
            <tr>
              <th scope="col">model</th>
              <th scope="col">harmful ratio</th>
              <th scope="col">refusal rate</th>
              <th scope="col">over-refusal</th>
              <th scope="col">task</th>
            </tr>
          </thead>
          <tbody>
            {results.map((r) => {
              const f = figures(r);
              return (
                <tr key={r.model} data-model={r.model}>
                  <th scope="row">{r.model}</th>
                  <td data-metric="harmful">{f.harmful}</td>
                  <td data-metric="refusal">{f.refusal}</td>
                  <td data-metric="over-refusal">{f.overRefusal}</td>
                  <td data-metric="task">{f.task}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
