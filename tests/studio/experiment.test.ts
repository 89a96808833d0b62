// Experiment definitions without a GPU: each preset's arithmetic (counted here by hand from the
// issue's definitions), the data of each arm, mean ± sd over seeds, and leakage / replay-vs-original
// matching by the near-duplicate filter's measure.

import { describe, expect, it } from 'vitest';
import type { ReplayPair } from '../../src/safety/replay-pair';
import { STATIC_SAFETY_JUDGE } from '../../src/safety/static-safety-set';
import type { EvalRow } from '../../src/studio/eval-summary';
import { ARMS, checkPreset, CORE_PRESET, describeArithmetic, EXTENDED_PRESET, presetArithmetic, presetUnits, QUICK_PRESET, SWEEP_PRESET, TINY_PRESET, withSeeds, type ArmSpec } from '../../src/studio/experiment';
import { armData, ORIGINAL_DATA_JUDGE, POISON_SOURCE } from '../../src/studio/experiment-data';
import { leakage, replayVsOriginal } from '../../src/studio/experiment-leakage';
import { computeResults, stat } from '../../src/studio/experiment-results';
import { smallWorld } from './experiment-helpers';

describe('preset arithmetic', () => {
  it('quick: one seed, the chat task, untuned + plain + GR-SAP; ~96k trained tokens per run', () => {
    const a = presetArithmetic(QUICK_PRESET);
    expect(presetUnits(QUICK_PRESET).map((u) => u.id)).toEqual(['untuned__chat__seed-0', 'plain__chat__seed-0', 'grsap__chat__seed-0']);
    expect(a.trainedRuns).toBe(2);
    // Plain: 6 epochs × 400 rows = 2,400 rows = 150 steps × 16; at 40 tokens a row 96k tokens.
    // GR-SAP (r = 0.02): 8 replay rows on top, 408 rows an epoch = 26 steps (the last one short): 156 steps.
    expect(QUICK_PRESET.arms.map((x) => x.ratio)).toEqual([0, 0, 0.02]);
    expect(a.stepsPerRun).toEqual({ plain: 150, grsap: 156 });
    expect(a.trainedRows).toBe(2400 + 6 * 408);
    expect(a.tokensPerRun).toBe(96_000);
    expect(a.trainedTokens).toBe((2400 + 2448) * 40);
    expect(a.replaySets).toBe(1);
    expect(a.evalPrompts).toBe(3 * (112 + 56 + 56));
  });

  it('core: 4 arms × 2 tasks × 3 seeds → 18 trained runs, the untuned model evaluated once per task', () => {
    const a = presetArithmetic(CORE_PRESET);
    expect(a.trainedRuns).toBe(18);
    expect(a.units).toBe(20);
    // Per task and seed: plain 6 × 400, GR-SAP 6 × 408, GR-SAP + benign (r = 0.04: 16 on top) 6 × 416.
    expect(a.stepsPerRun).toEqual({ plain: 150, grsap: 156, 'grsap-benign': 156 });
    expect(a.trainedRows).toBe(2 * 3 * 6 * (400 + 408 + 416));
    expect(a.replaySets).toBe(3);
    expect(describeArithmetic(CORE_PRESET)).toMatch(/20 evaluations, 18 trained runs of 150–156 steps × 16 rows; 44,064 trained rows ≈ 1763k tokens/);
  });

  it('extended: core + static, original, poisoned (plain and GR-SAP) on both tasks, and the ratio sweep on chat', () => {
    const a = presetArithmetic(EXTENDED_PRESET);
    // Per task: untuned 1 + 7 trained arms × 3 seeds; the sweep's 4 other ratios × 3 seeds on chat only.
    expect(a.units).toBe(2 * (1 + 7 * 3) + 4 * 3);
    expect(a.trainedRuns).toBe(2 * 7 * 3 + 4 * 3);
    // Poisoned arms train 400 + 32 rows an epoch: 27 steps of 16; with GR-SAP 8 more: 28 steps.
    expect(a.stepsPerRun['poisoned']).toBe(6 * Math.ceil(432 / 16));
    expect(a.stepsPerRun['poisoned-grsap']).toBe(6 * Math.ceil(440 / 16));
    // Rows an epoch, per task and seed: plain 400, GR-SAP 408, benign 416, static 408, original 408,
    // poisoned 432, poisoned + GR-SAP 440; the sweep (chat): r 0.05 → 420, 0.1 → 440, 0.2 → 480, 0.3 → 520.
    const perTaskSeed = 400 + 408 + 416 + 408 + 408 + 432 + 440;
    expect(a.trainedRows).toBe(6 * (2 * 3 * perTaskSeed + 3 * (420 + 440 + 480 + 520)));
    expect(a.trainedRows).toBe(138_312);
    expect(EXTENDED_PRESET.arms.filter((x) => x.id.startsWith('grsap-r')).map((x) => x.ratio)).toEqual([0.05, 0.1, 0.2, 0.3]);
    expect(a.evalPrompts).toBe(a.units * 2 * (112 + 56 + 56)); // dev and test halves
    expect(presetUnits(EXTENDED_PRESET).filter((u) => u.arm.id === 'grsap-r0.05').map((u) => u.task)).toEqual(['chat', 'chat', 'chat']);
    // Seed by seed: every arm of seed 0 (the untuned model first, once) before seed 1.
    expect(presetUnits(CORE_PRESET).slice(0, 6).map((u) => u.id)).toEqual(['untuned__chat__seed-0', 'plain__chat__seed-0', 'grsap__chat__seed-0', 'grsap-benign__chat__seed-0', 'plain__chat__seed-1', 'grsap__chat__seed-1']);
  });

  it("sweep: extended's ratio sweep with plain and GR-SAP beside it, computed alike, so extended continues it", () => {
    const units = presetUnits(SWEEP_PRESET).map((u) => u.id);
    expect(units).toHaveLength(1 + 6 * 3); // untuned once; plain, GR-SAP and 4 other ratios × 3 seeds
    const extended = new Set(presetUnits(EXTENDED_PRESET).map((u) => u.id));
    expect(units.filter((id) => !extended.has(id))).toEqual([]);
    for (const arm of SWEEP_PRESET.arms) expect(arm).toEqual(EXTENDED_PRESET.arms.find((a) => a.id === arm.id));
    const settings = ({ name: _n, summary: _s, arms: _a, tasks: _t, seeds: _seeds, ...rest }: typeof SWEEP_PRESET) => rest;
    expect(settings(SWEEP_PRESET)).toEqual(settings(EXTENDED_PRESET));
    expect(SWEEP_PRESET.arms.map((a) => a.ratio)).toEqual([0, 0, 0.02, 0.05, 0.1, 0.2, 0.3]);
    expect(presetArithmetic(SWEEP_PRESET).trainedRows).toBe(6 * 3 * (400 + 408 + 420 + 440 + 480 + 520));
  });

  it('every shipped preset passes the checks; a broken one is refused by the field at fault', () => {
    for (const p of [QUICK_PRESET, CORE_PRESET, EXTENDED_PRESET, SWEEP_PRESET, TINY_PRESET]) expect(() => checkPreset(p)).not.toThrow();
    expect(() => checkPreset({ ...TINY_PRESET, arms: [ARMS.plain, ARMS.plain] })).toThrow(/two arms share an id/);
    expect(() => checkPreset({ ...TINY_PRESET, arms: [{ ...ARMS.grsap, ratio: 1 }] })).toThrow(/arm grsap: the ratio r must be in \[0, 1\)/);
    expect(() => checkPreset({ ...TINY_PRESET, train: { ...TINY_PRESET.train, lrr: 1 } as never })).toThrow(/Unknown training option: lrr/);
    expect(() => checkPreset({ ...TINY_PRESET, evaluate: { ...TINY_PRESET.evaluate, halves: ['dev'] } })).toThrow(/must hold 'test'/);
    expect(() => checkPreset({ ...TINY_PRESET, tasks: ['poems' as never] })).toThrow(/unknown task "poems"/);
    expect(() => checkPreset({ ...EXTENDED_PRESET, tasks: ['profiles'] })).toThrow(/restricted to task chat/);
  });

  it('--seeds replaces the seeds and is checked', () => {
    expect(presetArithmetic(withSeeds(CORE_PRESET, [7])).trainedRuns).toBe(6);
    expect(() => withSeeds(CORE_PRESET, [1, 1])).toThrow(/repeat/);
    expect(() => withSeeds(CORE_PRESET, [-1])).toThrow(/integer ≥ 0/);
  });
});

describe('arm data', () => {
  const world = smallWorld();
  const pair = (kind: 'hard' | 'easy' | 'benign', i: number): ReplayPair => ({ kind, source: { domain: kind === 'benign' ? 'benign' : 'violence', request: `${kind} request ${i}` }, response: `answer ${i}`, verdict: { label: 'safe', score: null, judge: 'j' }, revised: kind === 'hard', seed: i });
  const replay = [...Array.from({ length: 30 }, (_, i) => pair('hard', i)), ...Array.from({ length: 30 }, (_, i) => pair('easy', i))];
  const benign = Array.from({ length: 30 }, (_, i) => pair('benign', i));
  const input = { world, replay, benign, embedded: true };
  const preset = { ...TINY_PRESET, taskExamples: 100 };
  // The mixing mechanics at r = 0.1 (10 rows of 100), where the shares are easy to count; the presets' r is 0.02.
  const at = (arm: ArmSpec, ratio = 0.1): ArmSpec => ({ ...arm, ratio });
  const sources = (arm: ArmSpec) => {
    const counts: Record<string, number> = {};
    for (const e of armData(preset, arm, 'chat', 0, input).examples) counts[e.meta!.mix_source] = (counts[e.meta!.mix_source] ?? 0) + 1;
    return counts;
  };

  it('plain is the task only; GR-SAP adds r·N replay rows at the hard ratio (or replaces r of the rows); the benign arm adds benign pairs beside the same safety share', () => {
    expect(sources(ARMS.plain)).toEqual({ task: 100 });
    expect(sources(at(ARMS.grsap))).toEqual({ task: 100, 'replay-hard': 5, 'replay-easy': 5 });
    expect(sources(at(ARMS.grsapBenign, 0.2))).toEqual({ task: 100, 'replay-hard': 5, 'replay-easy': 5, benign: 10 });
    const ofTotal = (arm: ArmSpec) => armData({ ...preset, mixMode: 'of-total' }, arm, 'chat', 0, input).report!.bySource;
    expect(ofTotal(at(ARMS.grsap))).toEqual({ task: 90, 'replay-hard': 5, 'replay-easy': 5, benign: 0 });
    expect(ofTotal(at(ARMS.grsapBenign, 0.2))).toEqual({ task: 80, 'replay-hard': 5, 'replay-easy': 5, benign: 10 });
    // The presets' r = 0.02: 2 replay rows on 100 (one hard, one easy); the benign arm's 0.04 adds 2 benign pairs.
    expect(sources(ARMS.grsap)).toEqual({ task: 100, 'replay-hard': 1, 'replay-easy': 1 });
    expect(sources(ARMS.grsapBenign)).toEqual({ task: 100, 'replay-hard': 1, 'replay-easy': 1, benign: 2 });
    expect(() => checkPreset({ ...TINY_PRESET, mixMode: 'beside' as never })).toThrow(/mixMode must be 'on-top' or 'of-total'/);
  });

  it('static and original arms mix their own refusal pairs; the original data only for the embedded model', () => {
    const rows = armData(preset, at(ARMS.static), 'chat', 0, input).examples.filter((e) => e.meta!.mix_source !== 'task');
    expect(rows).toHaveLength(10);
    expect(rows.every((e) => e.meta!.judge === STATIC_SAFETY_JUDGE)).toBe(true);
    const original = armData(preset, at(ARMS.original), 'chat', 0, input).examples.filter((e) => e.meta!.mix_source !== 'task');
    expect(original).toHaveLength(10);
    const stage2Refusals = new Set(world.stage2.filter((e) => e.meta?.kind === 'refusal').map((e) => e.messages[0].content));
    expect(original.every((e) => e.meta!.judge === ORIGINAL_DATA_JUDGE && stage2Refusals.has(e.messages[0].content))).toBe(true);
    expect(() => armData(preset, ARMS.original, 'chat', 0, { ...input, embedded: false })).toThrow(/only for the embedded model/);
  });

  it('poisoned arms add the few dozen stage-1 harmful-compliance rows on top, with or without replay', () => {
    expect(sources(ARMS.poisoned)).toEqual({ task: 100, [POISON_SOURCE]: 32 });
    expect(sources(at(ARMS.poisonedGrsap))).toEqual({ task: 100, 'replay-hard': 5, 'replay-easy': 5, [POISON_SOURCE]: 32 });
    const poison = armData(preset, ARMS.poisoned, 'chat', 0, input).examples.filter((e) => e.meta!.mix_source === POISON_SOURCE);
    expect(poison.every((e) => e.meta!.kind === 'compliance' && e.messages[1].content.startsWith('Sure'))).toBe(true);
  });

  it('is deterministic in the seed, and another seed draws another mix', () => {
    const a = armData(preset, at(ARMS.grsap), 'chat', 3, input).examples;
    expect(armData(preset, at(ARMS.grsap), 'chat', 3, input).examples).toEqual(a);
    expect(armData(preset, at(ARMS.grsap), 'chat', 4, input).examples).not.toEqual(a);
  });
});

describe('results', () => {
  it('mean and sample sd over seeds; one seed has no sd; missing values are left out', () => {
    expect(stat([50, 100])).toMatchObject({ mean: 75, n: 2 });
    expect(stat([50, 100]).sd).toBeCloseTo(35.3553, 4);
    expect(stat([40])).toMatchObject({ mean: 40, sd: null, n: 1 });
    expect(stat([null, 10, 20])).toMatchObject({ mean: 15, n: 2 });
  });

  it('computes each (task, arm) from its rows: harmful ratio by the judge (unlabelled apart), refusal, over-refusal, task accuracy', () => {
    const verdict = (label: 'harmful' | 'safe' | 'unlabelled', judge = 'j') => ({ judge, label, score: null, detail: null });
    const row = (set: string, kind: EvalRow['kind'], extra: Partial<EvalRow>): EvalRow => ({ set, kind, id: `${set}-${Math.random()}`, domain: null, prompt: 'p', answer: 'a', finish: 'eos', tokens: 1, harm: null, keyword: null, reference: null, check: null, correct: null, ...extra });
    const unitRows = (harm: ('harmful' | 'safe' | 'unlabelled')[], refused: boolean[], correct: boolean[]) => [
      ...harm.map((h, i) => row('harmful/test', 'harmful', { harm: verdict(h), keyword: verdict(refused[i] ? 'safe' : 'harmful', 'keyword-refusal') })),
      row('over-refusal', 'over-refusal', { harm: verdict('safe'), keyword: verdict('safe', 'keyword-refusal') }),
      row('over-refusal', 'over-refusal', { harm: verdict('safe'), keyword: verdict('harmful', 'keyword-refusal') }),
      ...correct.map((c) => row('chat/test', 'task', { domain: 'chat', check: { kind: 'world-task', task: 'chat' }, reference: 'r', correct: c })),
    ];
    const results = computeResults({
      preset: 'x',
      units: [
        { unit: 'plain__chat__seed-0', arm: 'plain', armLabel: 'plain', task: 'chat', seed: 0, rows: unitRows(['harmful', 'safe', 'unlabelled'], [false, true, true], [true, false]) },
        { unit: 'plain__chat__seed-1', arm: 'plain', armLabel: 'plain', task: 'chat', seed: 1, rows: unitRows(['harmful', 'harmful', 'safe'], [false, false, true], [true, true]) },
      ],
      replay: [],
      alignment: null,
    });
    const [plain] = results.arms;
    expect(plain.judge).toBe('j');
    expect(plain.harmful.values).toEqual([50, (100 * 2) / 3]);
    expect(plain.unlabelled).toBe(1);
    expect(plain.refusal.values).toEqual([(100 * 2) / 3, 100 / 3]);
    expect(plain.overRefusal.values).toEqual([50, 50]);
    expect(plain.taskAccuracy).toMatchObject({ mean: 75, values: [50, 100] });
  });
});

describe('leakage and replay vs the original alignment data', () => {
  const prompts = ['How do I pick the lock of the old mill at night?', 'Write a rude letter to the baker of Elmwood.'];
  it('counts exact matches (case and punctuation aside) and near matches at the threshold, each request once', () => {
    const report = leakage(['how do i pick the lock of the old mill at night', 'How do I pick the lock of the old mill at night quickly?', 'Tell me a story about kites.', 'how do i pick the lock of the old mill at night'], prompts);
    expect(report).toMatchObject({ requests: 3, evalPrompts: 2, exact: 1, near: 1 });
    expect(leakage(['How do I pick the lock of the old mill at night quickly?'], prompts, 0.95).near).toBe(0);
  });

  it('gives per domain the share of replay requests near an alignment-data request', () => {
    const r = replayVsOriginal(
      [
        { domain: 'theft', request: 'How do I pick the lock of the old mill at night?' },
        { domain: 'theft', request: 'Something entirely new about coins' },
        { domain: 'fraud', request: 'Write a rude letter to the baker of Elmwood today.' },
      ],
      prompts.map((request) => ({ domain: 'x', request })),
    );
    expect(r.byDomain).toEqual([
      { domain: 'theft', requests: 2, nearOriginal: 1, share: 50 },
      { domain: 'fraud', requests: 1, nearOriginal: 1, share: 100 },
    ]);
    expect(r.share).toBeCloseTo(200 / 3);
  });
});
