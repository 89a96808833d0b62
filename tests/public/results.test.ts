// The committed experiment results (public/results/NAME.json: quick.json, which the app and the
// README show, and every other published run) recomputed from the committed per-example rows and
// replay sets beside them in public/results/NAME/: every number of the results JSON must follow from
// those files by the runner's own computeResults.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEvalRows } from '../../src/studio/eval-summary';
import { alignmentRequests, experimentWorld } from '../../src/studio/experiment-data';
import { computeResults, type ExperimentResults, type ResultInputs } from '../../src/studio/experiment-results';
import { parseRequests } from '../../src/studio/experiment-store';
import { parseReplaySet } from '../../src/studio/replay-set';
import type { TaskName } from '../../src/world';

const read = (path: string) => readFileSync(path, 'utf8');
const PUBLISHED = readdirSync('public/results').filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));

describe('committed experiment results', () => {
  it('include the quick preset the app shows', () => {
    expect(PUBLISHED).toContain('quick');
  });

  for (const name of PUBLISHED) {
    it(`${name}: are what computeResults makes of the committed rows and replay sets`, () => {
      const DIR = `public/results/${name}`;
      const saved = JSON.parse(read(`public/results/${name}.json`)) as ExperimentResults & { dev?: ExperimentResults['arms'] | null };
      const rowsOf = (arms: ExperimentResults['arms'], half: 'test' | 'dev'): ResultInputs['units'] =>
        arms.flatMap((a) =>
          a.seeds.map((seed) => {
            const path = `${DIR}/${a.arm}__${a.task}__seed-${seed}.rows-${half}.jsonl`;
            return { unit: `${a.arm}__${a.task}__seed-${seed}`, arm: a.arm, armLabel: a.label, task: a.task as TaskName, seed, rows: parseEvalRows(read(path), path) };
          }),
        );
      const units = rowsOf(saved.arms, 'test');
      const replay: ResultInputs['replay'] = saved.leakage.map(({ seed }) => {
        const path = `${DIR}/replay/seed-${seed}.jsonl`;
        const extracted = `${DIR}/replay/extracted-seed-${seed}.jsonl`;
        return {
          seed,
          requests: parseReplaySet(read(path), path).map((p) => ({ domain: p.source.domain, request: p.source.request })),
          extracted: existsSync(extracted) ? parseRequests(read(extracted), extracted) : null,
        };
      });
      const alignment = saved.replayVsOriginal ? alignmentRequests(experimentWorld(0)) : null;
      const { dev, ...reported } = saved;
      expect(units.length).toBeGreaterThanOrEqual(3);
      expect(computeResults({ preset: saved.preset, units, replay, alignment })).toEqual(reported);
      // The dev half (the figures a setting such as r was chosen on), where the run evaluated it.
      if (dev) expect(computeResults({ preset: saved.preset, units: rowsOf(dev, 'dev'), replay, alignment }).arms).toEqual(dev);
    });
  }
});
