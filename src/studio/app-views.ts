// What the app's steps show that is not a long job: the embedded world's tasks and evaluation sets
// (the Data step), a preset's size (the demo's arithmetic), and a stored experiment run read back
// from its records (the Results step: per-arm figures, per-domain harmful ratios, the answers of
// every arm to the same harmful prompts). Plain data, so it crosses the worker boundary.

import type { ReplayKind } from '../safety/replay-pair';
import type { ChatExample } from '../text/datasets';
import { TASK_NAMES, type WorldData } from '../world';
import { summarizeRows, type EvalRow } from './eval-summary';
import { describeArithmetic, presetArithmetic, presetByName, type ExperimentPreset, type ExperimentReplay } from './experiment';
import { trainConfig, type TrainConfig } from './training-config';
import { adapterPath, dec, readResultInputs, readState, replayPath, type RunStore } from './experiment-store';
import { ADAPTER_CONFIG_FILE } from './model-files';
import { parseReplaySet } from './replay-set';
import { computeResults, resultsMarkdown, type ExperimentResults } from './experiment-results';

/** One example of a set as the page previews it: the first user turn and, where the set has one, the reference answer. */
export interface ExamplePreview {
  prompt: string;
  answer: string | null;
  domain: string | null; // harm domain, act or task
}

export interface TaskOverview {
  name: string; // 'chat'
  train: number;
  validation: number;
  test: number;
  preview: ExamplePreview[]; // the first train examples
}

export interface WorldOverview {
  seed: number;
  tasks: TaskOverview[];
  harmful: { dev: number; test: number; domains: string[]; preview: ExamplePreview[] }; // preview: the test half's first prompts (harmful text)
  overRefusal: { size: number; preview: ExamplePreview[] }; // scary-looking but benign requests
  benignChecks: number;
}

const PREVIEW = 3;

function preview(e: ChatExample, domain: string | null): ExamplePreview {
  const user = e.messages.find((m) => m.role === 'user');
  const assistant = e.messages.find((m) => m.role === 'assistant');
  return { prompt: user?.content ?? '', answer: assistant?.content ?? null, domain };
}

/** The world's tasks and evaluation sets, with a few examples of each. */
export function worldOverview(world: WorldData): WorldOverview {
  const sets = world.evalSets;
  const domains = [...new Set(sets.harmfulTest.map((e) => e.meta?.domain ?? '(none)'))];
  return {
    seed: world.world.seed,
    tasks: TASK_NAMES.map((name) => {
      const s = sets.tasks[name];
      return { name, train: s.train.length, validation: s.validation.length, test: s.test.length, preview: s.train.slice(0, PREVIEW).map((e) => preview(e, name)) };
    }),
    harmful: { dev: sets.harmfulDev.length, test: sets.harmfulTest.length, domains, preview: sets.harmfulTest.slice(0, PREVIEW).map((e) => preview(e, e.meta?.domain ?? null)) },
    overRefusal: { size: sets.overRefusal.length, preview: sets.overRefusal.slice(0, PREVIEW).map((e) => ({ prompt: e.messages[0].content, answer: e.meta?.reference ?? null, domain: e.meta?.act ?? null })) },
    benignChecks: sets.benignChecks.length,
  };
}

export interface PresetInfo {
  name: string;
  summary: string;
  arithmetic: string; // describeArithmetic's sentence
  arms: { id: string; label: string; train: boolean; ratio: number }[]; // ratio: the arm's r (0: no mix)
  trainedRuns: number;
  trainedTokens: number; // an estimate (tokensPerRow)
  evalPrompts: number; // at most
  train: TrainConfig; // every trained arm's settings (the unit's seed replaces the seed)
  replay: ExperimentReplay; // the replay budgets
  taskExamples: number;
  mixMode: ExperimentPreset['mixMode']; // replay rows on top of the task rows, or in place of some
}

export function presetInfo(name: string): PresetInfo {
  const preset = presetByName(name);
  const a = presetArithmetic(preset);
  return {
    name: preset.name,
    summary: preset.summary,
    arithmetic: describeArithmetic(preset),
    arms: preset.arms.map((x) => ({ id: x.id, label: x.label, train: x.train, ratio: x.ratio })),
    trainedRuns: a.trainedRuns,
    trainedTokens: a.trainedTokens,
    evalPrompts: a.evalPrompts,
    train: trainConfig(preset.train),
    replay: { ...preset.replay },
    taskExamples: preset.taskExamples,
    mixMode: preset.mixMode,
  };
}

export interface ArmDomains {
  arm: string;
  label: string;
  byDomain: { domain: string; examples: number; harmful: number | null; refusal: number | null }[]; // %; seeds pooled
}

/** One harmful prompt and every finished arm's answer to it (harmful text: the page hides it until asked). */
export interface SideBySide {
  prompt: string;
  domain: string | null;
  answers: { arm: string; label: string; answer: string; verdict: string | null }[]; // verdict: the harm judge's label
}

export interface ExperimentSnapshot {
  runId: string;
  preset: string;
  units: { id: string; arm: string; status: string; seconds: number }[];
  results: ExperimentResults; // recomputed from the finished units' rows (empty arms when none finished)
  markdown: string;
  byDomain: ArmDomains[];
  sideBySide: SideBySide[];
  replay: { seed: number; pairs: ReplayPreview[] }[]; // every seed's replay set as the run kept it
  adapters: RunAdapter[]; // the LoRA adapters the run trained (PEFT files in the run's records)
}

/** A trained unit's adapter, kept with the run: the app chats with it and exports it. */
export interface RunAdapter {
  unit: string; // e.g. grsap__chat__seed-0
  arm: string;
  label: string; // the arm's label, e.g. "GR-SAP"
  seed: number;
}

/** A replay pair as the Replay step lists it (the request is harmful text). */
export interface ReplayPreview {
  domain: string;
  kind: ReplayKind; // 'easy', 'hard' (revised when it could be), 'benign'
  revised: boolean;
  request: string;
  response: string;
}

const SIDE_BY_SIDE = 8;

function armDomains(arm: string, label: string, rows: EvalRow[]): ArmDomains {
  const harmful = summarizeRows(rows).sets.find((s) => s.kind === 'harmful');
  return {
    arm,
    label,
    byDomain: harmful && harmful.kind === 'harmful' ? harmful.byDomain.map((d) => ({ domain: d.domain, examples: d.examples, harmful: d.harmful.ratio, refusal: d.refusal.rate })) : [],
  };
}

/** A run read back from its records, or null when the store holds none. */
export async function experimentSnapshot(store: RunStore, runId: string): Promise<ExperimentSnapshot | null> {
  const state = await readState(store);
  if (!state) return null;
  const inputs = await readResultInputs(store, state);
  const results = computeResults(inputs);
  const byArm = new Map<string, { label: string; rows: EvalRow[] }>();
  for (const u of inputs.units) {
    const entry = byArm.get(u.arm) ?? { label: u.armLabel, rows: [] };
    entry.rows.push(...u.rows);
    byArm.set(u.arm, entry);
  }
  const prompts = new Map<string, SideBySide>();
  for (const u of inputs.units) {
    for (const r of u.rows) {
      if (r.kind !== 'harmful') continue;
      if (!prompts.has(r.prompt)) {
        if (prompts.size >= SIDE_BY_SIDE) continue;
        prompts.set(r.prompt, { prompt: r.prompt, domain: r.domain, answers: [] });
      }
      prompts.get(r.prompt)!.answers.push({ arm: u.arm, label: u.armLabel, answer: r.answer, verdict: r.harm?.label ?? null });
    }
  }
  const replay: ExperimentSnapshot['replay'] = [];
  for (const seed of state.preset.seeds) {
    const bytes = await store.read(replayPath(seed));
    if (!bytes) continue;
    const pairs = parseReplaySet(dec(bytes), replayPath(seed));
    replay.push({ seed, pairs: pairs.map((p) => ({ domain: p.source.domain, kind: p.kind, revised: p.revised, request: p.source.request, response: p.response })) });
  }
  const adapters: RunAdapter[] = [];
  for (const [unit, u] of Object.entries(state.units)) {
    if (u.status !== 'done' || !(await store.read(adapterPath(unit, ADAPTER_CONFIG_FILE)))) continue;
    adapters.push({ unit, arm: u.arm, label: state.preset.arms.find((a) => a.id === u.arm)?.label ?? u.arm, seed: u.seed });
  }
  return {
    runId,
    preset: state.preset.name,
    units: Object.entries(state.units).map(([id, u]) => ({ id, arm: u.arm, status: u.status, seconds: u.seconds })),
    results,
    markdown: resultsMarkdown(results),
    byDomain: [...byArm].map(([arm, e]) => armDomains(arm, e.label, e.rows)),
    sideBySide: [...prompts.values()],
    replay,
    adapters,
  };
}
