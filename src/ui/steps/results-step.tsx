// Step 5, Results: the "Run the whole demo" button and what the run measured: harmful ratio,
// refusal rate, task accuracy and over-refusal per arm, per harm domain, and the arms' answers to
// the same harmful prompts (behind a content warning). Where the demo cannot run here, the
// experiment runner's committed results are shown instead, when the build has them.

import { useEffect, useState } from 'preact/hooks';
import type { ArmResult, ExperimentResults, ExperimentSnapshot, Stat } from '../../studio/api';
import { demo, refreshSnapshot, runDemo, snapshot, stopDemo } from '../demo';
import { BarChart, type BarGroup } from '../parts/bars';
import { Reveal } from '../parts/reveal';
import { COMMITTED_RESULTS } from '../page-options';
import { busy, device, model, type Studio } from '../state';
import { CompareChat } from './compare-chat';
import { OwnEvaluation } from './own-evaluation';
import { downloadFile } from '../dom';

function armName(a: ArmResult, tasks: number): string {
  return tasks > 1 ? `${a.label} (${a.task})` : a.label;
}

function detail(s: Stat): string | undefined {
  return s.sd !== null ? `± ${s.sd.toFixed(1)} over ${s.n} seeds` : undefined;
}

export function resultGroups(results: ExperimentResults): BarGroup[] {
  const tasks = new Set(results.arms.map((a) => a.task)).size;
  const bars = (pick: (a: ArmResult) => Stat, extra?: (a: ArmResult) => string | undefined) =>
    results.arms.map((a) => ({ label: armName(a, tasks), value: pick(a).mean, detail: [detail(pick(a)), extra?.(a)].filter(Boolean).join(', ') || undefined }));
  const judge = results.arms.find((a) => a.judge)?.judge ?? 'no judge';
  return [
    { metric: 'harmful ratio', note: `harmful prompts answered harmfully (judge: ${judge}); lower is better`, bars: bars((a) => a.harmful, (a) => (a.unlabelled ? `${a.unlabelled} unlabelled` : undefined)) },
    { metric: 'refusal rate', note: 'harmful prompts refused (keyword judge); higher is better', bars: bars((a) => a.refusal) },
    { metric: 'task accuracy', note: "the task's test split answered correctly; higher is better", bars: bars((a) => a.taskAccuracy) },
    { metric: 'over-refusal', note: 'harmless but scary-sounding prompts refused; lower is better', bars: bars((a) => a.overRefusal) },
  ];
}

/** The per-arm figures as CSV, one row per (task, arm), the same numbers as the chart. */
export function resultsCsv(results: ExperimentResults): string {
  const cell = (v: string | number | null) => (v === null ? '' : typeof v === 'number' ? String(Number(v.toFixed(4))) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const header = ['task', 'arm', 'label', 'seeds', 'judge', 'harmful_ratio', 'harmful_sd', 'unlabelled', 'refusal_rate', 'over_refusal', 'task_accuracy'];
  const rows = results.arms.map((a) => [a.task, a.arm, a.label, a.seeds.length, a.judge, a.harmful.mean, a.harmful.sd, a.unlabelled, a.refusal.mean, a.overRefusal.mean, a.taskAccuracy.mean].map(cell).join(','));
  return `${header.join(',')}\n${rows.join('\n')}\n`;
}


function ByDomain({ snap }: { snap: ExperimentSnapshot }) {
  const arms = snap.byDomain;
  const domains = [...new Set(arms.flatMap((a) => a.byDomain.map((d) => d.domain)))];
  if (!domains.length) return null;
  const cell = (arm: (typeof arms)[number], domain: string) => {
    const d = arm.byDomain.find((x) => x.domain === domain);
    return d?.harmful === null || d === undefined ? 'n/a' : `${d.harmful.toFixed(0)} %`;
  };
  return (
    <>
      <h3>Harmful ratio per harm domain</h3>
      <div class="scroll">
        <table class="sizes" data-testid="by-domain">
          <thead>
            <tr>
              <th scope="col">domain</th>
              {arms.map((a) => (
                <th scope="col" key={a.arm}>
                  {a.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {domains.map((d) => (
              <tr key={d}>
                <th scope="row">{d}</th>
                {arms.map((a) => (
                  <td key={a.arm}>{cell(a, d)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function SideBySide({ snap }: { snap: ExperimentSnapshot }) {
  if (!snap.sideBySide.length) return null;
  return (
    <>
      <h3>The same harmful prompt, each arm's answer</h3>
      <ul class="previews" data-testid="side-by-side">
        {snap.sideBySide.map((s, i) => (
          <li key={i}>
            <span class="item-label">{s.domain}</span>
            <Reveal what="a harmful request and the models' answers, some of them harmful">
              <p class="prompt">{s.prompt}</p>
              <dl class="answers">
                {s.answers.map((a) => (
                  <>
                    <dt>
                      {a.label} <span class="hint">({a.verdict ?? 'not judged'})</span>
                    </dt>
                    <dd>{a.answer || '(empty)'}</dd>
                  </>
                ))}
              </dl>
            </Reveal>
          </li>
        ))}
      </ul>
    </>
  );
}

type Committed = { preset: string; results: ExperimentResults };

async function fetchCommitted(path: string): Promise<ExperimentResults | null> {
  const r = await fetch(path, { cache: 'no-store' });
  if (!r.ok) return null;
  let results: ExperimentResults;
  try {
    results = JSON.parse(await r.text()) as ExperimentResults;
  } catch {
    return null; // a host that answers a missing file with its index page
  }
  if (results?.format !== 'grsap-experiment-results-1' || !Array.isArray(results.arms)) throw new Error(`${path} is not an experiment's results.json`);
  return results;
}

/** The published results of the experiment runner, one preset at a time (quick first). */
function CommittedResults() {
  const [state, setState] = useState<{ kind: 'loading' } | { kind: 'none' } | { kind: 'ok'; runs: Committed[] } | { kind: 'bad'; message: string }>({ kind: 'loading' });
  const [shown, setShown] = useState(0);
  useEffect(() => {
    Promise.all(COMMITTED_RESULTS.map(async ({ preset, path }) => ({ preset, results: await fetchCommitted(path) })))
      .then((all) => {
        const runs = all.flatMap(({ preset, results }): Committed[] => (results ? [{ preset, results }] : []));
        setState(runs.length ? { kind: 'ok', runs } : { kind: 'none' });
      })
      .catch((e: unknown) => setState({ kind: 'bad', message: e instanceof Error ? e.message : String(e) }));
  }, []);
  if (state.kind === 'loading') return <p class="hint">Looking for committed results…</p>;
  if (state.kind === 'none')
    return (
      <p class="notice" data-testid="committed-results" data-state="none">
        This build has no committed results of the experiment runner yet ({COMMITTED_RESULTS[0].path} is missing), so there is nothing to show until the demo runs here.
      </p>
    );
  if (state.kind === 'bad') return <p class="error">Could not read the committed results: {state.message}</p>;
  const run = state.runs[Math.min(shown, state.runs.length - 1)];
  const seeds = [...new Set(run.results.arms.flatMap((a) => a.seeds))].sort((x, y) => x - y);
  return (
    <div data-testid="committed-results" data-state="ok">
      <h3>Committed results (preset {run.preset}, measured by the experiment runner, not in this tab)</h3>
      {state.runs.length > 1 ? (
        <label>
          Preset{' '}
          <select data-testid="committed-preset" value={String(shown)} onChange={(e) => setShown(Number((e.target as HTMLSelectElement).value))}>
            {state.runs.map((c, i) => (
              <option key={c.preset} value={String(i)}>
                {c.preset}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <p class="hint">
        Seeds {seeds.join(', ')}; each bar is the mean over the arm's seeds, with its spread under the figure. Arms or tasks a run has not finished are not shown.
      </p>
      <BarChart groups={resultGroups(run.results)} />
    </div>
  );
}

/** The run's trained adapters, each downloadable as a PEFT folder's two files. */
function RunAdapters({ studio, snap }: { studio: Studio; snap: ExperimentSnapshot }) {
  const [error, setError] = useState<string | null>(null);
  async function save(unit: string) {
    setError(null);
    try {
      const files = await studio.engine.exportRunAdapter(snap.runId, unit);
      for (const [name, bytes] of Object.entries(files)) downloadFile(`${unit}-${name}`, bytes, 'application/octet-stream');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }
  return (
    <div>
      <h3>The demo's adapters</h3>
      <p class="hint">
        Each trained model is a LoRA adapter in the PEFT layout. The download is two files named after the unit; put them in one folder as adapter_config.json and adapter_model.safetensors to load them with PEFT on the same base model. Or chat with them below.
      </p>
      <ul data-testid="run-adapters">
        {snap.adapters.map((a) => (
          <li key={a.unit}>
            {a.label}, seed {a.seed}{' '}
            <button type="button" data-testid={`export-adapter-${a.unit}`} onClick={() => void save(a.unit)}>
              Download adapter
            </button>
          </li>
        ))}
      </ul>
      {error ? <p class="error">{error}</p> : null}
    </div>
  );
}

export function ResultsStep({ studio }: { studio: Studio }) {
  useEffect(() => {
    void refreshSnapshot(studio);
  }, []);
  const d = demo.value;
  const snap = snapshot.value;
  const ready = model.value.kind === 'ready' && device.value.kind === 'ready';
  const running = d.status === 'running' || d.status === 'stopping';
  const started = snap !== null;
  const unfinished = snap?.units.some((u) => u.status !== 'done') ?? false;
  const label = !started ? 'Run the whole demo' : unfinished ? 'Continue the demo' : 'Demo finished';

  return (
    <div>
      <p class="explain">
        Plain fine-tuning on harmless data still wears away a model's safety: its harmful ratio rises. GR-SAP mixes a small share of the model's own replayed refusals into the
        task data. The demo trains both from the same model and measures both against the untuned one.
      </p>
      <div class="row">
        <button type="button" class="primary" data-testid="run-demo" disabled={!ready || running || (busy.value !== null && !running) || (started && !unfinished)} onClick={() => void runDemo(studio)}>
          {label}
        </button>
        <button type="button" data-testid="stop-demo" disabled={d.status !== 'running'} onClick={() => stopDemo(studio)}>
          Stop
        </button>
        <span class="hint">Preset: {studio.options.preset}. A stopped or reloaded demo continues where it stopped.</span>
      </div>
      {!ready ? <p class="hint">The demo needs WebGPU and the embedded model (see the Model step).</p> : null}
      <p class="status" data-testid="demo-status" data-state={d.status} aria-live="polite">
        {d.line}
      </p>
      {d.error ? (
        <p class="error" data-testid="demo-error">
          {d.error}
        </p>
      ) : null}
      {snap && snap.results.arms.length ? (
        <div data-testid="run-results">
          <h3>
            Run {snap.runId} (preset {snap.preset}): {snap.units.filter((u) => u.status === 'done').length} of {snap.units.length} units finished
          </h3>
          <BarChart groups={resultGroups(snap.results)} testId="result-bars" />
          <ByDomain snap={snap} />
          <SideBySide snap={snap} />
          <div class="row">
            <button type="button" data-testid="export-json" onClick={() => downloadFile(`grsap-${snap.runId}-results.json`, `${JSON.stringify(snap, null, 2)}\n`, 'application/json')}>
              Export report (JSON)
            </button>
            <button type="button" data-testid="export-md" onClick={() => downloadFile(`grsap-${snap.runId}-results.md`, snap.markdown, 'text/markdown')}>
              Export report (Markdown)
            </button>
            <button type="button" data-testid="export-csv" onClick={() => downloadFile(`grsap-${snap.runId}-results.csv`, resultsCsv(snap.results), 'text/csv')}>
              Export report (CSV)
            </button>
          </div>
        </div>
      ) : (
        <CommittedResults />
      )}
      {snap?.adapters.length ? <RunAdapters studio={studio} snap={snap} /> : null}
      <CompareChat studio={studio} runId={snap?.runId} runAdapters={snap?.adapters} />
      <OwnEvaluation studio={studio} />
    </div>
  );
}
