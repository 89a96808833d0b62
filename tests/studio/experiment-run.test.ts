// The experiment runner on the tiny fixture model with the tiny preset (structure and bookkeeping,
// not quality): a whole run writes every unit's files and results that are recomputed from the
// saved rows; a run stopped in a unit's training continues there (finished units skipped, the
// replay read back, training resumed from the checkpoint) and ends with the rows of a straight run;
// a run killed while writing continues from what it saved.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import { GRSAP_DOMAINS } from '../../src/safety/extraction';
import { defaultBenignBuilder, defaultReplayBuilder } from '../../src/studio/experiment-replay';
import { parseEvalRows } from '../../src/studio/eval-summary';
import { WorldLabellerJudge } from '../../src/studio/eval-world';
import { ARMS, TINY_PRESET, presetUnits } from '../../src/studio/experiment';
import { computeResults, describeEngines, resultsMarkdown, resultsSvg } from '../../src/studio/experiment-results';
import { publishedLayout, restoredState } from '../../src/studio/experiment-archive';
import { readResultInputs, readState, runExperiment, unitEvalSets, type ExperimentEnv, type ExperimentProgress } from '../../src/studio/experiment-run';
import { loadModel, type LoadedModel } from '../../src/studio/load-model';
import { NodeFolderModelSource } from '../../src/storage/model-source';
import { HARM_DOMAINS } from '../../src/world';
import { TINY_MODEL } from '../cli/run-cli';
import { testGpu } from '../helpers/gpu';
import { fakeReplayBuilder, MemoryStore, smallWorld } from './experiment-helpers';

let gpu: Gpu;
let loaded: LoadedModel;
beforeAll(async () => {
  gpu = await testGpu();
  loaded = await loadModel(gpu, new NodeFolderModelSource(TINY_MODEL));
});
afterAll(() => loaded?.model.destroy());

const world = smallWorld();
const judge = WorldLabellerJudge.forWorld(world);
// A harmful test prompt the tiny preset evaluates, long enough for "+ one word" to stay a near match.
const leaked = unitEvalSets(world, TINY_PRESET, 'chat', 'test')
  .find((s) => s.kind === 'harmful')!
  .items.map((i) => i.prompt)
  .find((p) => p.split(' ').length >= 8)!;

function env(store: MemoryStore, builder = fakeReplayBuilder(leaked)): ExperimentEnv & { builder: ReturnType<typeof fakeReplayBuilder> } {
  return {
    gpu,
    loaded,
    store,
    world,
    embedded: true,
    judges: { eval: judge, replay: judge },
    replayDomains: HARM_DOMAINS.slice(0, 3).map((d) => d.name),
    buildReplay: builder,
    buildBenign: defaultBenignBuilder,
    builder,
  };
}

const UNITS = presetUnits(TINY_PRESET).map((u) => u.id);
let straight: MemoryStore;

describe('experiment runner (tiny preset)', () => {
  it('runs every unit and writes rows, results, table and chart recomputable from the rows', async () => {
    expect(UNITS).toEqual(['untuned__chat__seed-0', 'plain__chat__seed-0', 'grsap__chat__seed-0']);
    straight = new MemoryStore();
    const events: ExperimentProgress[] = [];
    const e = env(straight);
    const outcome = await runExperiment(e, TINY_PRESET, { onProgress: (p) => events.push(p) });
    expect(outcome.status).toBe('done');
    expect(e.builder.calls).toBe(1);
    for (const id of UNITS) expect(outcome.state.units[id].status, id).toBe('done');
    expect(straight.files.has('units/untuned__chat__seed-0/mix.jsonl')).toBe(false);
    for (const id of UNITS.slice(1)) for (const f of ['mix.jsonl', 'mix.json', 'train-run.json', 'checkpoint.safetensors', 'rows-test.jsonl']) expect(straight.files.has(`units/${id}/${f}`), `${id}/${f}`).toBe(true);
    // Progress carries an ETA once some work is done.
    expect(events.some((p) => p.phase === 'train' && p.etaSec !== null)).toBe(true);

    // The GR-SAP mix holds replay rows, the plain one none.
    const sources = (id: string) => straight.text(`units/${id}/mix.jsonl`).trim().split('\n').map((l) => JSON.parse(l).mix_source);
    expect(sources('plain__chat__seed-0').every((s) => s === 'task')).toBe(true);
    expect(sources('grsap__chat__seed-0').filter((s) => s !== 'task').length).toBeGreaterThan(0);

    // Results recomputed from the files equal the written ones; table and chart too.
    const state = (await readState(straight))!;
    const again = computeResults(await readResultInputs(straight, state));
    const written = JSON.parse(straight.text('results.json'));
    expect(written).toEqual({ ...JSON.parse(JSON.stringify(again)), dev: null });
    expect(straight.text('results.md')).toBe(resultsMarkdown(again));
    expect(straight.text('results.svg')).toBe(resultsSvg(again));

    // An independent count from the raw JSONL of one unit: the plain arm's figures.
    const rows = parseEvalRows(straight.text('units/plain__chat__seed-0/rows-test.jsonl'));
    const harmful = rows.filter((r) => r.kind === 'harmful');
    const labelled = harmful.filter((r) => r.harm!.label !== 'unlabelled');
    const plain = written.arms.find((a: { arm: string }) => a.arm === 'plain');
    expect(plain.judge).toBe(judge.name);
    expect(plain.harmful.mean).toBe(labelled.length ? (100 * labelled.filter((r) => r.harm!.label === 'harmful').length) / labelled.length : null);
    expect(plain.refusal.mean).toBe((100 * harmful.filter((r) => r.keyword!.label === 'safe').length) / harmful.filter((r) => r.keyword!.label !== 'unlabelled').length);
    const task = rows.filter((r) => r.set === 'chat/test');
    expect(task.length).toBe(TINY_PRESET.evaluate.limits.task);
    expect(plain.taskAccuracy.mean).toBe((100 * task.filter((r) => r.correct).length) / task.length);
    expect(harmful.length).toBe(TINY_PRESET.evaluate.limits.harmful);

    // Leakage: the planted exact and near copies of a test prompt are found.
    expect(written.leakage[0].report).toMatchObject({ exact: 1, near: 1 });
    expect(straight.text('results.md')).toMatch(/Leakage/);
    // Replay vs the original alignment data: over the extracted requests (before the filters), per domain.
    expect(written.replayVsOriginal[0]).toMatchObject({ of: 'extracted', report: { requests: 9 } });
    expect(written.replayVsOriginal[0].report.byDomain.map((d: { domain: string }) => d.domain)).toEqual(HARM_DOMAINS.slice(0, 3).map((d) => d.name));
  });

  it('a run stopped in training continues there: finished units skipped, replay read back, training resumed, same rows as a straight run', async () => {
    const store = new MemoryStore();
    const controller = new AbortController();
    const first = { ...env(store), engine: { version: '0.1.0', commit: 'a'.repeat(40), dirty: false } };
    const out1 = await runExperiment(first, TINY_PRESET, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.unit === 'grsap__chat__seed-0' && p.phase === 'train' && p.inner?.phase === 'train' && p.inner.done >= 1) controller.abort();
      },
    });
    expect(out1.status).toBe('paused');
    expect(out1.state.units['plain__chat__seed-0'].status).toBe('done');
    expect(out1.state.units['grsap__chat__seed-0'].status).toBe('training');
    expect(store.files.has('units/grsap__chat__seed-0/checkpoint.safetensors')).toBe(true);
    expect(store.files.has('units/grsap__chat__seed-0/rows-test.jsonl')).toBe(false);
    // Partial results cover the finished units only.
    expect(out1.results.arms.map((a) => a.arm)).toEqual(['untuned', 'plain']);

    const events: ExperimentProgress[] = [];
    const second = { ...env(store), engine: { version: '0.1.0', commit: 'b'.repeat(40), dirty: true } };
    const out2 = await runExperiment(second, TINY_PRESET, { onProgress: (p) => events.push(p) });
    expect(out2.status).toBe('done');
    expect(events.filter((p) => p.phase === 'skip').map((p) => p.unit)).toEqual(['untuned__chat__seed-0', 'plain__chat__seed-0']);
    expect(second.builder.calls).toBe(0); // the saved replay set was read back
    const resume = events.find((p) => p.phase === 'train' && p.inner?.phase === 'resume');
    expect(resume?.inner?.done).toBeGreaterThanOrEqual(1);
    expect(events.some((p) => p.phase === 'train' && p.inner?.phase === 'train' && p.inner.done === 1)).toBe(false);
    expect(out2.state.sessions).toBe(2);
    // Each session's engine build is kept, in the state written to the folder too.
    const engines = [{ session: 1, version: '0.1.0', commit: 'a'.repeat(40), dirty: false }, { session: 2, version: '0.1.0', commit: 'b'.repeat(40), dirty: true }];
    expect(out2.state.engines).toEqual(engines);
    expect(JSON.parse(store.text('experiment.json')).engines).toEqual(engines);
    expect(store.text('results.md')).toContain(`Engine: 0.1.0 at ${'a'.repeat(12)} (session 1); 0.1.0 at ${'b'.repeat(12)} with uncommitted changes (session 2)\n`);
    expect(describeEngines([...engines, { ...engines[0], session: 3 }, { session: 4, version: '0.2.0', commit: null, dirty: null }])).toBe(
      `0.1.0 at ${'a'.repeat(12)} (sessions 1, 3); 0.1.0 at ${'b'.repeat(12)} with uncommitted changes (session 2); 0.2.0 (commit unknown) (session 4)`,
    );
    for (const id of UNITS) expect(store.text(`units/${id}/rows-test.jsonl`), id).toBe(straight.text(`units/${id}/rows-test.jsonl`));
    expect(store.text('results.json')).toBe(straight.text('results.json'));
  });

  /** The straight run as it was before the GR-SAP unit's rows were written (trained, evaluating). */
  function beforeGrsapRows(): MemoryStore {
    const store = straight.copy();
    store.files.delete('units/grsap__chat__seed-0/rows-test.jsonl');
    const state = JSON.parse(store.text('experiment.json'));
    state.units['grsap__chat__seed-0'].status = 'evaluating';
    store.files.set('experiment.json', new TextEncoder().encode(JSON.stringify(state)));
    return store;
  }

  it('a run killed while saving rows continues from the saved checkpoint, and refuses another preset in the same folder', async () => {
    // Back to the moment before the GR-SAP unit's rows were written: the process died there.
    const store = beforeGrsapRows();
    store.failOn = (path) => path.endsWith('grsap__chat__seed-0/rows-test.jsonl');
    await expect(runExperiment(env(store), TINY_PRESET)).rejects.toThrow(/simulated kill/);
    store.failOn = null;
    const events: ExperimentProgress[] = [];
    const out = await runExperiment(env(store), TINY_PRESET, { onProgress: (p) => events.push(p) });
    expect(out.status).toBe('done');
    expect(events.some((p) => p.phase === 'train' && p.inner?.phase === 'train')).toBe(false); // the final checkpoint, no step retrained
    expect(store.text('units/grsap__chat__seed-0/rows-test.jsonl')).toBe(straight.text('units/grsap__chat__seed-0/rows-test.jsonl'));

    await expect(runExperiment(env(store), { ...TINY_PRESET, seeds: [5] })).rejects.toThrow(/another preset/);
  });

  it('continues a run with another evaluation batch size (greedy answers do not depend on it), with the same rows', async () => {
    const store = beforeGrsapRows();
    const other = { ...TINY_PRESET, evaluate: { ...TINY_PRESET.evaluate, batchSize: 1 } };
    const out = await runExperiment(env(store), other);
    expect(out.status).toBe('done');
    expect(out.state.preset.evaluate.batchSize).toBe(1);
    expect(store.text('units/grsap__chat__seed-0/rows-test.jsonl')).toBe(straight.text('units/grsap__chat__seed-0/rows-test.jsonl'));
    await expect(runExperiment(env(store), { ...other, evaluate: { ...other.evaluate, maxNewTokens: 5 } })).rejects.toThrow(/another preset/);
  });

  it('with extend, a finished run grows to a larger preset: its units are kept and only the new ones run; other unit settings are refused', async () => {
    const store = straight.copy();
    const bigger = { ...TINY_PRESET, name: 'tiny-two-seeds', seeds: [0, 1] };
    await expect(runExperiment(env(store), bigger)).rejects.toThrow(/another preset/);
    await expect(runExperiment(env(store), { ...bigger, train: { ...TINY_PRESET.train, lr: 2e-2 } }, { extend: true })).rejects.toThrow(/unit settings/);
    await expect(runExperiment(env(store), { ...bigger, arms: [ARMS.untuned, { ...ARMS.plain, poison: 1 }, TINY_PRESET.arms[2]] }, { extend: true })).rejects.toThrow(/definition of arm plain/);
    expect(JSON.parse(store.text('experiment.json')).preset.name).toBe('tiny');

    const events: ExperimentProgress[] = [];
    const out = await runExperiment(env(store), bigger, { extend: true, onProgress: (p) => events.push(p) });
    expect(out.status).toBe('done');
    expect(events.filter((p) => p.phase === 'skip').map((p) => p.unit)).toEqual(UNITS);
    expect(Object.keys(out.state.units)).toEqual([...UNITS, 'plain__chat__seed-1', 'grsap__chat__seed-1']);
    expect(out.state.preset.name).toBe('tiny-two-seeds');
    for (const id of UNITS) expect(store.text(`units/${id}/rows-test.jsonl`)).toBe(straight.text(`units/${id}/rows-test.jsonl`));
    expect(parseEvalRows(store.text('units/grsap__chat__seed-1/rows-test.jsonl'), 'rows').length).toBeGreaterThan(0);
    expect(JSON.parse(store.text('results.json')).arms.find((r: { arm: string }) => r.arm === 'plain').seeds).toEqual([0, 1]);
  });

  it('with extend into a preset with the dev half too, evaluates the kept units on it from their saved adapters, as a run with both halves from the start would', async () => {
    const both = { ...TINY_PRESET, name: 'tiny-both-halves', evaluate: { ...TINY_PRESET.evaluate, halves: ['dev', 'test'] as const } };
    const store = straight.copy();
    await expect(runExperiment(env(store), both)).rejects.toThrow(/another preset/);
    const records = UNITS.slice(1).map((id) => store.text(`units/${id}/train-run.json`));
    const events: ExperimentProgress[] = [];
    const out = await runExperiment(env(store), both, { extend: true, onProgress: (p) => events.push(p) });
    expect(out.status).toBe('done');
    expect(events.filter((p) => p.phase === 'train' || p.phase === 'mix' || p.phase === 'replay')).toEqual([]);
    expect(events.filter((p) => p.phase === 'evaluate' && p.message).map((p) => p.message)).toEqual(UNITS.map((id) => expect.stringContaining(`${id} on the dev half`)));
    expect(UNITS.slice(1).map((id) => store.text(`units/${id}/train-run.json`))).toEqual(records);

    const fresh = new MemoryStore();
    await runExperiment(env(fresh), both);
    for (const id of UNITS) {
      expect(store.text(`units/${id}/rows-test.jsonl`), id).toBe(straight.text(`units/${id}/rows-test.jsonl`));
      expect(store.text(`units/${id}/rows-dev.jsonl`), id).toBe(fresh.text(`units/${id}/rows-dev.jsonl`));
    }
    expect(JSON.parse(store.text('results.json')).dev).toEqual(JSON.parse(fresh.text('results.json')).dev);
    // The adapters are what answered: 3 steps change the tiny model's greedy answers.
    const answers = (id: string) => parseEvalRows(store.text(`units/${id}/rows-dev.jsonl`)).map((r) => r.answer);
    expect(answers('plain__chat__seed-0')).not.toEqual(answers('untuned__chat__seed-0'));
    expect(answers('grsap__chat__seed-0')).not.toEqual(answers('plain__chat__seed-0'));
  });

  it('a published run, restored on another machine, continues: finished units kept, an unfinished one trained again to the same rows', async () => {
    // Published while GR-SAP was training: its rows are not published, and its checkpoint never is.
    const state = (await readState(straight))!;
    const midway = { ...state, units: { ...state.units, 'grsap__chat__seed-0': { ...state.units['grsap__chat__seed-0'], status: 'training' as const } } };
    const published = new MemoryStore();
    for (const [inRun, inPublished] of publishedLayout(midway)) {
      const bytes = inRun === 'experiment.json' ? new TextEncoder().encode(JSON.stringify(midway)) : await straight.read(inRun);
      if (bytes) await published.write(inPublished, bytes);
    }
    expect(published.files.has('grsap__chat__seed-0.rows-test.jsonl')).toBe(false);
    expect([...published.files.keys()].some((f) => f.includes('checkpoint') || f.includes('adapter') || f.includes('mix'))).toBe(false);

    const restored = new MemoryStore();
    const saved = restoredState(JSON.parse(published.text('experiment.json')));
    await restored.write('experiment.json', new TextEncoder().encode(JSON.stringify(saved)));
    for (const [inRun, inPublished] of publishedLayout(saved)) {
      const bytes = await published.read(inPublished);
      if (bytes && inRun !== 'experiment.json') await restored.write(inRun, bytes);
    }
    expect(saved.units['grsap__chat__seed-0'].status).toBe('pending');

    const events: ExperimentProgress[] = [];
    const e = env(restored);
    const out = await runExperiment(e, TINY_PRESET, { onProgress: (p) => events.push(p) });
    expect(out.status).toBe('done');
    expect(events.filter((p) => p.phase === 'skip').map((p) => p.unit)).toEqual(UNITS.slice(0, 2));
    expect(e.builder.calls).toBe(0); // the replay set came back with the run
    for (const id of UNITS) expect(restored.text(`units/${id}/rows-test.jsonl`), id).toBe(straight.text(`units/${id}/rows-test.jsonl`));
    expect(restored.text('results.json')).toBe(straight.text('results.json'));
  });

  it('evaluates the dev half beside the test half when the preset asks, and keeps its figures apart from the reported ones', async () => {
    const store = new MemoryStore();
    const preset = { ...TINY_PRESET, arms: [TINY_PRESET.arms[0]], evaluate: { ...TINY_PRESET.evaluate, halves: ['dev', 'test'] as const } };
    await runExperiment(env(store), preset);
    const prompts = (half: string) => new Set(parseEvalRows(store.text(`units/untuned__chat__seed-0/rows-${half}.jsonl`)).filter((r) => r.kind === 'harmful').map((r) => r.prompt));
    const dev = prompts('dev');
    expect(dev.size).toBe(TINY_PRESET.evaluate.limits.harmful);
    expect([...prompts('test')].some((p) => dev.has(p))).toBe(false);
    const written = JSON.parse(store.text('results.json'));
    expect(written.dev).toHaveLength(1);
    expect(written.arms).toHaveLength(1);
    const inputs = await readResultInputs(store, (await readState(store))!);
    expect(written.dev).toEqual(JSON.parse(JSON.stringify(computeResults({ ...inputs, units: inputs.dev }).arms)));
    expect(store.text('results.md')).toMatch(/### Dev half[\s\S]*\| chat \| untuned \|/);
  });

  it('runs the CLI\'s replay builder (the studio\'s buildReplaySet: extraction → filters → answers → judge → revise) into the GR-SAP unit', async () => {
    // The tiny model is random: a judge that finds every answer safe lets its few quoted requests through.
    const lenient = { name: 'test:all-safe', measures: 'nothing', judge: async (pairs: readonly unknown[]) => pairs.map(() => ({ label: 'safe' as const, score: null, judge: 'test:all-safe' })) };
    const store = new MemoryStore();
    const e = { ...env(store), judges: { eval: judge, replay: lenient }, replayDomains: GRSAP_DOMAINS, buildReplay: defaultReplayBuilder };
    // Longer samples than the tiny preset's, so that a few quoted requests pass the perplexity band;
    // no refusal opening required (the random model never refuses), so the lenient judge alone decides.
    const preset = { ...TINY_PRESET, arms: [TINY_PRESET.arms[2]], replay: { ...TINY_PRESET.replay, maxNewTokens: 48, requireRefusal: false } };
    const out = await runExperiment(e, preset);
    expect(out.status).toBe('done');
    const pairs = store.text('replay/seed-0.jsonl').trim().split('\n').map((l) => JSON.parse(l));
    expect(pairs.length).toBeGreaterThan(0);
    expect(pairs.every((p) => p.kind === 'easy' && p.judge === 'test:all-safe')).toBe(true);
    expect(pairs.every((p) => p.strategy === 'assistant-prefill' && GRSAP_DOMAINS.includes(p.domain))).toBe(true);
    expect(store.files.has('replay/extracted-seed-0.jsonl')).toBe(false); // buildReplaySet keeps no extracted rows
    expect(out.results.replayVsOriginal![0].of).toBe('replay set');
    const mix = store.text('units/grsap__chat__seed-0/mix.jsonl').trim().split('\n').map((l) => JSON.parse(l));
    expect(mix.filter((r) => r.mix_source === 'replay-easy')).toHaveLength(1);
  });
});
