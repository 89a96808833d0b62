// An experiment's results, computed by one function from what the run folder keeps: the per-example
// evaluation rows of every unit (test half), the replay requests of every seed and the original
// alignment data's requests. The results JSON, the Markdown table and the SVG chart are all made
// from its output, so every reported number can be recomputed from the JSONL files.
//
// Per (task, arm) and over seeds, mean ± sd (sample sd; none for one seed): the harmful ratio by the
// harm judge (named), the keyword refusal rate on the same prompts, the over-refusal rate, and the
// task accuracy on the task's test split.

import type { ReplayRequest } from '../safety/replay-pair';
import type { TaskName } from '../world';
import { summarizeRows, type EvalRow } from './eval-summary';
import { leakage, replayVsOriginal, type LeakageReport, type ReplayVsOriginal } from './experiment-leakage';
import type { EngineBuild } from '../util/engine-build';

export interface UnitRows {
  unit: string;
  arm: string;
  armLabel: string;
  task: TaskName;
  seed: number;
  rows: EvalRow[]; // the test half's rows
}

export interface ResultInputs {
  preset: string;
  units: UnitRows[]; // in the preset's order
  replay: { seed: number; requests: ReplayRequest[]; extracted: ReplayRequest[] | null }[]; // every seed's replay set (its pairs' requests) and what extraction kept before the filters
  alignment: ReplayRequest[] | null; // the original alignment data's harmful requests (embedded model only)
}

export interface Stat {
  mean: number | null;
  sd: number | null; // sample sd over seeds; null for one seed
  n: number; // seeds with a value
  values: (number | null)[]; // per seed, in the units' order
}

export interface ArmResult {
  task: TaskName;
  arm: string;
  label: string;
  seeds: number[];
  judge: string | null; // the harm judge of the harmful ratio
  harmful: Stat; // % of labelled harmful answers
  refusal: Stat; // % of harmful prompts refused (keyword judge)
  overRefusal: Stat; // % of over-refusal prompts refused (keyword judge)
  taskAccuracy: Stat; // % correct on the task's test split
  unlabelled: number; // harmful-set answers the judge could not label, over all seeds
}

export interface ExperimentResults {
  format: 'grsap-experiment-results-1';
  preset: string;
  half: 'test';
  arms: ArmResult[];
  leakage: { seed: number; report: LeakageReport }[];
  replayVsOriginal: { seed: number; of: 'extracted' | 'replay set'; report: ReplayVsOriginal }[] | null;
}

export function stat(values: readonly (number | null)[]): Stat {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const n = xs.length;
  const mean = n ? xs.reduce((a, b) => a + b, 0) / n : null;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean!) ** 2, 0) / (n - 1)) : null;
  return { mean, sd, n, values: [...values] };
}

interface UnitFigures {
  judge: string | null;
  harmful: number | null;
  refusal: number | null;
  overRefusal: number | null;
  taskAccuracy: number | null;
  unlabelled: number;
}

function unitFigures(u: UnitRows): UnitFigures {
  const summary = summarizeRows(u.rows);
  const out: UnitFigures = { judge: summary.judge, harmful: null, refusal: null, overRefusal: null, taskAccuracy: null, unlabelled: 0 };
  for (const s of summary.sets) {
    if (s.kind === 'harmful') {
      out.harmful = s.harmful.ratio;
      out.refusal = s.refusal.rate;
      out.unlabelled += s.harmful.unlabelled;
    } else if (s.kind === 'over-refusal') out.overRefusal = s.overRefusal.rate;
    else if (s.kind === 'task' && s.byDomain.some((d) => d.domain === u.task)) out.taskAccuracy = s.accuracy;
  }
  return out;
}

/** Every figure of the results from the inputs alone (see the file comment). */
export function computeResults(inputs: ResultInputs): ExperimentResults {
  const groups = new Map<string, UnitRows[]>();
  for (const u of inputs.units) {
    const key = `${u.task}\u0000${u.arm}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(u);
  }
  const arms: ArmResult[] = [...groups.values()].map((units) => {
    const figures = units.map(unitFigures);
    const judges = [...new Set(figures.map((f) => f.judge).filter((j): j is string => j !== null))];
    if (judges.length > 1) throw new Error(`experiment results: ${units[0].arm} on ${units[0].task} was judged by several harm judges (${judges.join(', ')}); a comparison needs one.`);
    return {
      task: units[0].task,
      arm: units[0].arm,
      label: units[0].armLabel,
      seeds: units.map((u) => u.seed),
      judge: judges[0] ?? null,
      harmful: stat(figures.map((f) => f.harmful)),
      refusal: stat(figures.map((f) => f.refusal)),
      overRefusal: stat(figures.map((f) => f.overRefusal)),
      taskAccuracy: stat(figures.map((f) => f.taskAccuracy)),
      unlabelled: figures.reduce((n, f) => n + f.unlabelled, 0),
    };
  });
  const evalPrompts = [...new Set(inputs.units.flatMap((u) => u.rows.filter((r) => r.kind !== 'task').map((r) => r.prompt)))];
  return {
    format: 'grsap-experiment-results-1',
    preset: inputs.preset,
    half: 'test',
    arms,
    leakage: inputs.replay.map((r) => ({ seed: r.seed, report: leakage(r.requests.map((q) => q.request), evalPrompts) })),
    replayVsOriginal: inputs.alignment
      ? inputs.replay.map((r) => ({ seed: r.seed, of: r.extracted ? ('extracted' as const) : ('replay set' as const), report: replayVsOriginal(r.extracted ?? r.requests, inputs.alignment!) }))
      : null,
  };
}

// ---- Markdown ----------------------------------------------------------------------------------

export function formatStat(s: Stat): string {
  if (s.mean === null) return 'n/a';
  return s.sd === null ? s.mean.toFixed(1) : `${s.mean.toFixed(1)} ± ${s.sd.toFixed(1)}`;
}

/** The engine builds that worked on a run, each with its sessions: "0.1.0 at 1a2b3c4d5e6f (sessions 1, 2)". */
export function describeEngines(engines: readonly (EngineBuild & { session: number })[]): string {
  const builds = new Map<string, number[]>();
  for (const e of engines) {
    const name = `${e.version} ${e.commit ? `at ${e.commit.slice(0, 12)}${e.dirty ? ' with uncommitted changes' : ''}` : '(commit unknown)'}`;
    builds.set(name, [...(builds.get(name) ?? []), e.session]);
  }
  return [...builds].map(([name, sessions]) => `${name} (session${sessions.length > 1 ? 's' : ''} ${sessions.join(', ')})`).join('; ');
}

/** The results as Markdown: the table, then leakage and replay-vs-original, every number from `results`. */
export function resultsMarkdown(results: ExperimentResults, command?: string, dev: readonly ArmResult[] | null = null, engines: readonly (EngineBuild & { session: number })[] = []): string {
  const judges = [...new Set(results.arms.map((a) => a.judge).filter(Boolean))];
  const row = (a: ArmResult) => `| ${a.task} | ${a.label} | ${a.seeds.length} | ${formatStat(a.harmful)} | ${a.unlabelled} | ${formatStat(a.refusal)} | ${formatStat(a.overRefusal)} | ${formatStat(a.taskAccuracy)} |`;
  const header = [`| task | arm | seeds | harmful (${judges.join(', ') || 'no judge'}) | unlabelled | refusal (keyword) | over-refusal | task accuracy |`, '|---|---|---|---|---|---|---|---|'];
  const lines = [
    `## Experiment \`${results.preset}\` (test half; mean ± sd over seeds, in %)`,
    '',
    ...(command ? [`Command: \`${command}\``, ''] : []),
    ...(engines.length ? [`Engine: ${describeEngines(engines)}`, ''] : []),
    ...header,
    ...results.arms.map(row),
    '',
    'Harmful: answers the judge labelled harmful among those it could label; unlabelled: answers to harmful prompts it could not label, over all seeds, counted apart. Refusal and over-refusal: answers with a refusal phrase (keyword judge) among harmful and scary-but-benign prompts.',
    '',
    '### Leakage (replay requests vs evaluation prompts)',
    '',
    '| seed | replay requests | evaluation prompts | exact | near (Jaccard ≥ threshold) |',
    '|---|---|---|---|---|',
    ...results.leakage.map(({ seed, report: l }) => `| ${seed} | ${l.requests} | ${l.evalPrompts} | ${l.exact} | ${l.near} (≥ ${l.threshold}) |`),
  ];
  if (results.replayVsOriginal) {
    lines.push('', '### Replay vs the original alignment data (share of replay requests that near-duplicate an alignment-data request)', '');
    for (const { seed, of, report } of results.replayVsOriginal) {
      lines.push(`Seed ${seed}: ${report.nearOriginal} of ${report.requests} ${of === 'extracted' ? 'extracted requests (before the filters)' : "requests of the replay set"} (${report.share === null ? 'n/a' : `${report.share.toFixed(1)}%`}) match one of ${report.alignmentRequests} alignment-data requests; the rest are new.`, '');
      lines.push('| domain | requests | near original | share % |', '|---|---|---|---|');
      for (const d of report.byDomain) lines.push(`| ${d.domain} | ${d.requests} | ${d.nearOriginal} | ${d.share === null ? 'n/a' : d.share.toFixed(1)} |`);
      lines.push('');
    }
  } else lines.push('', 'Replay vs the original alignment data: not measured (only the embedded model has its alignment data).');
  if (dev?.length) lines.push('', '### Dev half (the only figures a setting such as r may be chosen on; never reported as results)', '', ...header, ...dev.map(row));
  return `${lines.join('\n').trimEnd()}\n`;
}

// ---- SVG chart ---------------------------------------------------------------------------------

const METRICS = [
  ['harmful', 'harmful %'],
  ['refusal', 'refusal %'],
  ['overRefusal', 'over-refusal %'],
  ['taskAccuracy', 'task accuracy %'],
] as const;
const COLOURS = ['#888888', '#d62728', '#2ca02c', '#17becf', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#1f77b4', '#bcbd22', '#7f7f7f', '#aec7e8'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Bars of each metric (a panel per metric), grouped by task, one colour per arm, with ± sd whiskers. */
export function resultsSvg(results: ExperimentResults): string {
  const tasks = [...new Set(results.arms.map((a) => a.task))];
  const armIds = [...new Set(results.arms.map((a) => a.arm))];
  const labelOf = new Map(results.arms.map((a) => [a.arm, a.label]));
  const bar = 14;
  const groupGap = 18;
  const panelH = 150;
  const left = 40;
  const groupW = armIds.length * bar + groupGap;
  const panelW = tasks.length * groupW + 20;
  const width = left + METRICS.length * (panelW + 30) + 10;
  const legendH = 16 * armIds.length + 10;
  const height = 40 + panelH + 40 + legendH;
  const y = (v: number) => 40 + panelH - (Math.max(0, Math.min(100, v)) / 100) * panelH;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`, `<text x="${left}" y="16" font-size="13">${esc(`Experiment ${results.preset}: test half, mean ± sd over seeds`)}</text>`];
  METRICS.forEach(([key, title], m) => {
    const x0 = left + m * (panelW + 30);
    out.push(`<text x="${x0}" y="34">${esc(title)}</text>`);
    for (const tick of [0, 50, 100]) out.push(`<line x1="${x0 - 4}" x2="${x0 + panelW}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/><text x="${x0 - 6}" y="${y(tick) + 4}" text-anchor="end">${tick}</text>`);
    tasks.forEach((task, t) => {
      const gx = x0 + t * groupW + 4;
      out.push(`<text x="${gx}" y="${40 + panelH + 14}">${esc(task)}</text>`);
      armIds.forEach((armId, k) => {
        const a = results.arms.find((r) => r.task === task && r.arm === armId);
        const s = a?.[key];
        if (!s || s.mean === null) return;
        const bx = gx + k * bar;
        out.push(`<rect x="${bx}" y="${y(s.mean).toFixed(1)}" width="${bar - 2}" height="${(y(0) - y(s.mean)).toFixed(1)}" fill="${COLOURS[k % COLOURS.length]}"><title>${esc(`${a.label}, ${task}: ${formatStat(s)}`)}</title></rect>`);
        if (s.sd !== null) {
          const cx = bx + (bar - 2) / 2;
          out.push(`<line x1="${cx}" x2="${cx}" y1="${y(s.mean + s.sd).toFixed(1)}" y2="${y(s.mean - s.sd).toFixed(1)}" stroke="#000"/>`);
        }
      });
    });
  });
  armIds.forEach((armId, k) => {
    const ly = 40 + panelH + 30 + k * 16;
    out.push(`<rect x="${left}" y="${ly}" width="10" height="10" fill="${COLOURS[k % COLOURS.length]}"/><text x="${left + 16}" y="${ly + 9}">${esc(labelOf.get(armId) ?? armId)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
