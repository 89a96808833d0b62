// The experiment as the app's engine runs it (the demo button's job): only on the embedded model;
// a run whose replay yields nothing fails with the reason after finishing the other units, and the
// same run id continues from the records it kept (finished units skipped) once a replay set is there.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayPairToExample, type ReplayPair } from '../../src/safety/replay-pair';
import { createMemoryModelCache } from '../../src/storage/cache';
import { MemoryRecordStore } from '../../src/storage/record-store';
import type { ExperimentOutcome, ExperimentProgress, LoadDetail, ModelSummary } from '../../src/studio/api';
import { StudioEngine } from '../../src/studio/engine';
import { presetByName, QUICK_PRESET } from '../../src/studio/experiment';
import { jobResult, type JobEnd } from '../../src/studio/jobs';
import { TINY_MODEL } from '../cli/run-cli';
import { openSafetensors } from '../../src/model/safetensors';

function tinyFiles(nameOrPath: string | null): File[] {
  return readdirSync(TINY_MODEL).map((name) => {
    let bytes: Uint8Array = new Uint8Array(readFileSync(join(TINY_MODEL, name)));
    if (name === 'config.json' && nameOrPath) bytes = new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(bytes)), _name_or_path: nameOrPath }));
    return new File([bytes as Uint8Array<ArrayBuffer>], name);
  });
}

describe('the engine\'s experiment job', () => {
  it('the demo and the CLI share one quick preset', () => {
    expect(presetByName('quick')).toBe(QUICK_PRESET);
  });

  it('runs only on the embedded model; continues a run by its id from the records it kept', async () => {
    const records = new MemoryRecordStore();
    const engine = new StudioEngine({ cache: async () => createMemoryModelCache(), experimentRecords: records });
    const load = (name: string | null) => jobResult<LoadDetail, ModelSummary>((l) => engine.loadModel({ kind: 'files', files: tinyFiles(name) }, l)).end;
    const run = (events: ExperimentProgress[] = []) => jobResult<ExperimentProgress, ExperimentOutcome>((l) => engine.experiment({ preset: 'tiny', runId: 'demo' }, l), (p) => events.push(p.payload!)).end;

    expect(await load(null)).toMatchObject({ status: 'done' });
    const refused = await run();
    expect(refused).toMatchObject({ status: 'failed' });
    expect((refused as { error: string }).error).toMatch(/not it\. Load the embedded model/);

    expect(await load('grsap-organism-tiny')).toMatchObject({ status: 'done' });
    const first = await run();
    expect((first as { error: string }).error).toMatch(/grsap__chat__seed-0 needs replay/);
    expect(await records.get('experiment/demo/units/plain__chat__seed-0/rows-test.jsonl')).toBeInstanceOf(Uint8Array);

    const pair: ReplayPair = { kind: 'easy', source: { domain: 'violence', request: 'how to hurt a person' }, response: "I can't help with that.", verdict: { label: 'safe', score: null, judge: 'test' }, revised: false, seed: 0 };
    const example = replayPairToExample(pair);
    await records.set('experiment/demo/replay/seed-0.jsonl', new TextEncoder().encode(`${JSON.stringify({ messages: example.messages, ...example.meta })}\n`));
    const events: ExperimentProgress[] = [];
    const second = (await run(events)) as JobEnd<ExperimentOutcome>;
    expect(second.status).toBe('done');
    const outcome = (second as { result: ExperimentOutcome }).result;
    expect(outcome.status).toBe('done');
    expect(events.filter((e) => e.phase === 'skip').map((e) => e.unit)).toEqual(['untuned__chat__seed-0', 'plain__chat__seed-0']);
    expect(outcome.results.arms.map((a) => a.arm)).toEqual(['untuned', 'plain', 'grsap']);
    expect(await records.get('experiment/demo/results.md')).toBeInstanceOf(Uint8Array);

    // The trained units' adapters are kept with the run: listed, exported as PEFT, usable for chat.
    const snap = (await engine.experimentSnapshot('demo'))!;
    expect(snap.adapters.map((a) => a.unit)).toEqual(['plain__chat__seed-0', 'grsap__chat__seed-0']);
    const files = await engine.exportRunAdapter('demo', 'grsap__chat__seed-0');
    expect(Object.keys(files).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    expect(JSON.parse(new TextDecoder().decode(files['adapter_config.json']))).toMatchObject({ peft_type: 'LORA', r: presetByName('tiny').train.lora!.r });
    const id = await engine.useRunAdapter('demo', 'grsap__chat__seed-0');
    expect(await engine.useRunAdapter('demo', 'grsap__chat__seed-0')).toBe(id); // once only
    const listed = (await engine.adapters()).find((a) => a.id === id)!;
    expect(listed).toMatchObject({ method: 'lora', attached: false });
    expect(listed.name).toMatch(/^GR-SAP · seed 0/);
    await engine.attachAdapter(id);
    expect((await engine.adapters()).find((a) => a.id === id)!.attached).toBe(true);
    await engine.attachAdapter(null);
    // It is the trained adapter: LoRA's B matrices start at zero, and these moved.
    const weights = await openSafetensors(files['adapter_model.safetensors'], 'adapter');
    const bNames = weights.names.filter((n) => n.includes('lora_B'));
    expect(bNames.length).toBeGreaterThan(0);
    let moved = 0;
    for (const n of bNames) moved += (await weights.readFloat32(n)).reduce((s, x) => s + Math.abs(x), 0);
    expect(moved).toBeGreaterThan(0);
    await expect(engine.exportRunAdapter('demo', 'untuned__chat__seed-0')).rejects.toThrow(/kept no adapter for untuned__chat__seed-0/);
    engine.dispose();
  });
});
