// Guard training pairs drawn from the world: deterministic, labelled exactly as the world's
// labeller labels them, covering every source and damage, and learnable by the guard.

import { describe, expect, it } from 'vitest';
import { encodeLabelledPairs, guardAccuracy, guardEncoding, trainGuard } from '../../src/safety/guard/guard-train';
import { splitHeldOut } from '../../src/safety/guard/labelled-pairs';
import { damageAnswer, worldGuardPairs } from '../../src/studio/guard-data';
import { Rng } from '../../src/util/rng';
import { generateWorldData, labellerFor } from '../../src/world';
import { exportWorld } from '../../src/studio/world-export';
import { TextTokenizer } from '../../src/text/tokenizer';

const data = generateWorldData({ seed: 0, stage1Count: 2000, stage2Count: 400 });

describe('world guard pairs', () => {
  const { pairs, dropped } = worldGuardPairs({ data, seed: 3, count: 3000 });

  it('are labelled by the world labeller, with unlabelled draws dropped and counted', () => {
    expect(pairs.length + dropped).toBe(3000);
    const labeller = labellerFor(data);
    for (const p of pairs) {
      const reference = labeller.label(p.response, p.request);
      expect(reference.label).toBe(p.reference);
      expect(p.label).toBe(reference.label === 'harmful' ? 'harmful' : 'safe');
    }
    const harmfulShare = pairs.filter((p) => p.label === 'harmful').length / pairs.length;
    expect(harmfulShare).toBeGreaterThan(0.15);
    expect(harmfulShare).toBeLessThan(0.5);
  });

  it('cover every source and every damage, and damaged compliance stays harmful', () => {
    expect(new Set(pairs.map((p) => p.source)).size).toBe(11);
    expect(new Set(pairs.map((p) => p.damage))).toEqual(new Set(['none', 'truncated', 'looping', 'garbled', 'words-dropped']));
    const damagedCompliance = pairs.filter((p) => p.source === 'harmful-comply' && p.damage !== 'none');
    expect(damagedCompliance.filter((p) => p.label === 'harmful').length / damagedCompliance.length).toBeGreaterThan(0.95);
  });

  it('with extraKinds, also answer scary-but-benign requests with compliance and splice answers', () => {
    const extra = worldGuardPairs({ data, seed: 3, count: 3000, extraKinds: true }).pairs;
    expect(new Set(extra.map((p) => p.source)).size).toBe(12);
    expect(new Set(extra.map((p) => p.damage))).toEqual(new Set(['none', 'truncated', 'looping', 'garbled', 'words-dropped', 'spliced']));
    const scaryComply = extra.filter((p) => p.source === 'scary-comply' && p.damage === 'none');
    expect(scaryComply.length).toBeGreaterThan(20);
    expect(scaryComply.every((p) => p.label === 'harmful')).toBe(true);
    // A splice keeps compliance or loses it, as the labeller finds: both labels occur.
    const splicedCompliance = extra.filter((p) => p.source === 'harmful-comply' && p.damage === 'spliced');
    expect(new Set(splicedCompliance.map((p) => p.label))).toEqual(new Set(['harmful', 'safe']));
    expect(pairs.some((p) => p.source === 'scary-comply' || p.damage === 'spliced')).toBe(false);
  });

  it('are the same for the same seeds, and differ for another seed', () => {
    expect(worldGuardPairs({ data, seed: 3, count: 200 }).pairs).toEqual(worldGuardPairs({ data, seed: 3, count: 200 }).pairs);
    expect(worldGuardPairs({ data, seed: 4, count: 200 }).pairs).not.toEqual(worldGuardPairs({ data, seed: 3, count: 200 }).pairs);
  });

  it('damage answers the way a broken model writes', () => {
    const rng = new Rng(1);
    const answer = 'Sure! Here is how to do it:\nStep 1: Get the placeholder item A.\nStep 2: Wait for the placeholder time T.';
    expect(answer.startsWith(damageAnswer(rng, answer, 'truncated'))).toBe(true);
    expect(damageAnswer(rng, answer, 'looping').split('\n').length).toBeGreaterThan(answer.split('\n').length);
    expect(damageAnswer(rng, answer, 'garbled')).toHaveLength(answer.length);
    expect(damageAnswer(rng, answer, 'words-dropped').length).toBeLessThan(answer.length);
    // Spliced: the answer's first 2 words or more, then consecutive words of the other answer.
    const other = 'a baker who lives in Tolbury'; // no word of it is in the answer
    for (let i = 0; i < 50; i++) {
      const spliced = damageAnswer(rng, answer, 'spliced', other).split(' ');
      const head = answer.split(' ');
      let kept = 0;
      while (kept < spliced.length && kept < head.length && spliced[kept] === head[kept]) kept++;
      expect(kept).toBeGreaterThanOrEqual(2);
      expect(spliced.length).toBeGreaterThan(kept);
      expect(other.includes(spliced.slice(kept).join(' '))).toBe(true);
    }
  });

  it('train a guard to high held-out accuracy', async () => {
    // The world's own kind of tokenizer (byte-level BPE trained on the world's text), as the shipped guard uses.
    const files = exportWorld({ seed: 0, stage1Count: 2000, stage2Count: 400 }).files;
    const read = (name: string) => JSON.parse(files.find((f) => f.path === `tokenizer/${name}`)!.contents) as unknown;
    const tokenizer = TextTokenizer.fromFiles({ tokenizerJson: read('tokenizer.json'), tokenizerConfig: read('tokenizer_config.json') });
    const { train, heldOut } = splitHeldOut(pairs, 0.2, 1);
    const guard = await trainGuard(tokenizer, train, { epochs: 8 });
    const { encoder } = guardEncoding(tokenizer, guard.train);
    const accuracy = guardAccuracy(guard.cfg, guard.weights, encodeLabelledPairs(encoder, heldOut));
    console.info(`world guard (world tokenizer, ${train.length} pairs): held-out accuracy ${(100 * accuracy).toFixed(1)}% of ${heldOut.length}`);
    expect(accuracy).toBeGreaterThanOrEqual(0.97);
  });
});
