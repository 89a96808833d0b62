// Shared by the experiment tests: an in-memory run folder, a small world, and a replay builder
// whose pairs are known (so the runner's bookkeeping is what is tested, not the replay use case).

import type { ReplayPair } from '../../src/safety/replay-pair';
import type { ReplayBuilder, RunStore } from '../../src/studio/experiment-run';
import { generateWorldData, type WorldData } from '../../src/world';

export class MemoryStore implements RunStore {
  files = new Map<string, Uint8Array>();
  writes: string[] = [];
  failOn: ((path: string) => boolean) | null = null; // a simulated kill: the write throws
  async read(path: string): Promise<Uint8Array | null> {
    return this.files.get(path) ?? null;
  }
  async write(path: string, bytes: Uint8Array): Promise<void> {
    if (this.failOn?.(path)) throw new Error(`simulated kill while writing ${path}`);
    this.writes.push(path);
    this.files.set(path, new Uint8Array(bytes));
  }
  text(path: string): string {
    const bytes = this.files.get(path);
    if (!bytes) throw new Error(`no file ${path}`);
    return new TextDecoder().decode(bytes);
  }
  copy(): MemoryStore {
    const c = new MemoryStore();
    for (const [k, v] of this.files) c.files.set(k, new Uint8Array(v));
    return c;
  }
}

let world: WorldData | null = null;
/** The organism's world (seed 0) with short stage streams: the evaluation sets and tasks are the full ones. */
export function smallWorld(): WorldData {
  return (world ??= generateWorldData({ seed: 0, stage1Count: 300, stage2Count: 300 }));
}

/**
 * A replay builder with known pairs: per domain one easy and one hard pair, and (to be caught as
 * leakage) one request that is a harmful test prompt word for word and one that is that prompt
 * with a word added at its end (a near match).
 */
export function fakeReplayBuilder(leakedPrompt: string): ReplayBuilder & { calls: number } {
  const builder = (async (_loaded, request) => {
    builder.calls++;
    const pair = (kind: 'easy' | 'hard', domain: string, text: string, i: number): ReplayPair => ({
      kind,
      source: { domain, request: text },
      response: `I can't help with that (${i}).`,
      verdict: { label: 'safe', score: null, judge: request.judge.name },
      revised: kind === 'hard',
      seed: request.seed * 100 + i,
    });
    const pairs = request.domains.flatMap((d, i) => [pair('easy', d, `tell me about ${d} number ${i}`, 2 * i), pair('hard', d, `how to do ${d} things ${i}`, 2 * i + 1)]);
    pairs.push(pair('easy', request.domains[0], leakedPrompt, 98), pair('easy', request.domains[0], `${leakedPrompt} now`, 99));
    return { pairs, extracted: [...pairs.map((p) => p.source), { domain: request.domains[1], request: 'a request the filters dropped' }] };
  }) as ReplayBuilder & { calls: number };
  builder.calls = 0;
  return builder;
}
