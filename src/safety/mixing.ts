// GR-SAP step 5: mix the replay pairs into the user's task data. As the paper's code does by
// default, an epoch has a fixed total of N rows (N = the number of task examples unless given), a
// ratio r of them replay and the rest task data; the alternative puts r·N replay rows on top of N
// task rows. r is in [0, 1): 0 is plain fine-tuning. The method doc gives no default r; ours is 0.1,
// the better of the two values its ratio study reports (r = 0.3 did worse than r = 0.1), and what
// the organism prototype needed. Rows are concatenated and shuffled with a seed.
//
// The replay rows are split three ways: a benign share (0 by default, as in the paper; see
// benign-replay.ts) of benign pairs, the rest safety pairs at the hard ratio (hard-ratio.ts).
// A pool too small for its share follows the shortage policy there ('fill': another replay pool
// fills the gap; 'keep-ratio': fewer rows; 'error'). Task rows never stand in for replay rows: when
// the replay pools together cannot give round(r·N) rows, 'fill' keeps the task rows as they are
// (the mix is smaller and its replay share lower, reported), 'keep-ratio' shrinks the task part
// too, so the replay share stays r.
//
// Every row comes out in the `messages` layout with meta: mix_source (task | replay-hard |
// replay-easy | benign), and for replay rows their provenance (replay-pair.ts). A task row keeps its
// own meta. The loss on assistant tokens only is the trainer's (train/), not this file's.

import type { ChatExample } from '../text/datasets';
import { pcgHash } from '../util/hash';
import { Rng } from '../util/rng';
import { checkShare, checkShortage, describeShortage, drawSeeded, HARD_EASY, largestAtShare, shareCount, splitCounts, type ShortagePolicy, type SplitCounts } from './hard-ratio';
import { MIX_SOURCE_KEY, replayPairToExample, type MixSource, type ReplayKind, type ReplayPair } from './replay-pair';

export type MixMode = 'of-total' | 'on-top';

export interface MixSettings {
  ratio: number; // r: 0.1; replay rows are round(r·N)
  mode: MixMode; // 'of-total': N rows in all, r of them replay (the paper's default); 'on-top': N task rows + round(r·N) replay
  total: number | null; // N: null = every task example
  hardRatio: number; // 0.5: share of hard pairs among the safety replay
  benignShare: number; // 0: share of benign pairs among the replay rows
  shortage: ShortagePolicy; // 'fill'
  seed: number; // 0: which rows are drawn, and the order of the mix
}

export const DEFAULT_MIX: MixSettings = { ratio: 0.1, mode: 'of-total', total: null, hardRatio: 0.5, benignShare: 0, shortage: 'fill', seed: 0 };

export interface MixInput {
  task: readonly ChatExample[]; // the user's task data
  hard: readonly ReplayPair[]; // revised hard pairs (revise.ts hardPairs)
  easy: readonly ReplayPair[]; // easy pairs (easy-hard.ts easyPairs)
  benign?: readonly ReplayPair[]; // benign pairs (benign-replay.ts)
}

export interface MixReport {
  settings: MixSettings;
  total: number; // N as used
  rows: number; // rows in the mix
  task: { available: number; wanted: number; taken: number };
  replay: { wanted: number; taken: number; share: number }; // share: replay rows ÷ rows of the mix
  benign: SplitCounts; // [benign, safety]
  safety: SplitCounts; // [hard, easy]
  bySource: Record<MixSource, number>;
  notes: string[]; // every shortage, in a sentence each
}

export interface MixResult {
  examples: ChatExample[];
  report: MixReport;
}

const MIX_KEYS = new Set(Object.keys(DEFAULT_MIX));
const BENIGN_SAFETY: readonly [string, string] = ['benign', 'safety'];

function mixSettings(options: Partial<MixSettings>): MixSettings {
  for (const key of Object.keys(options)) if (!MIX_KEYS.has(key)) throw new Error(`mixing: unknown setting ${JSON.stringify(key)}; known: ${[...MIX_KEYS].join(', ')}.`);
  const s: MixSettings = { ...DEFAULT_MIX, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  if (!(s.ratio >= 0 && s.ratio < 1)) throw new Error(`mixing: the mixing ratio r must be in [0, 1), got ${s.ratio}; 0 mixes no replay, 0.1 makes a tenth of the rows replay.`);
  if (s.mode !== 'of-total' && s.mode !== 'on-top') throw new Error(`mixing: mode must be 'of-total' or 'on-top', got ${JSON.stringify(s.mode)}.`);
  if (s.total !== null && (!Number.isInteger(s.total) || s.total < 1)) throw new Error(`mixing: total N must be a positive integer or null (every task example), got ${s.total}.`);
  checkShare('mixing', 'hardRatio', s.hardRatio);
  checkShare('mixing', 'benignShare', s.benignShare);
  checkShortage('mixing', s.shortage);
  if (!Number.isInteger(s.seed) || s.seed < 0) throw new Error(`mixing: seed must be an integer ≥ 0, got ${s.seed}.`);
  return s;
}

function checkPool(name: string, pool: readonly ReplayPair[], kind: ReplayKind): void {
  pool.forEach((p, i) => {
    if (p.kind !== kind) throw new Error(`mixing: the ${name} pool's item ${i} is a pair of kind ${p.kind}; pass ${kind} pairs only.`);
  });
}

/** The most replay rows the pools can give at the settings' shares (any count up to it is possible). */
function replayCapacity(s: MixSettings, benign: number, hard: number, easy: number): number {
  if (s.shortage !== 'keep-ratio') return benign + hard + easy;
  return largestAtShare(s.benignShare, benign, largestAtShare(s.hardRatio, hard, easy));
}

/** [task rows, replay rows] of the largest mix at ratio r whose replay part fits `capacity`. */
function largestMixWithin(s: MixSettings, N: number, capacity: number): [number, number] {
  if (s.mode === 'of-total') {
    let total = N;
    while (total > 0 && shareCount(total, s.ratio) > capacity) total--;
    return [total - shareCount(total, s.ratio), shareCount(total, s.ratio)];
  }
  let task = N;
  while (task > 0 && shareCount(task, s.ratio) > capacity) task--;
  return [task, shareCount(task, s.ratio)];
}

/**
 * Task and replay row counts when the replay pools may be short. Task rows never stand in for
 * replay rows: 'fill' takes every pair and keeps the task part, 'keep-ratio' shrinks both.
 */
function planReplayRows(s: MixSettings, N: number, taskWanted: number, replayWanted: number, pools: { hard: number; easy: number; benign: number }): { task: number; replay: number; note: string | null } {
  const capacity = replayCapacity(s, pools.benign, pools.hard, pools.easy);
  if (capacity >= replayWanted) return { task: taskWanted, replay: replayWanted, note: null };
  const held = `${pools.hard} hard, ${pools.easy} easy and ${pools.benign} benign pairs`;
  if (s.shortage === 'error') throw new Error(`mixing: ${replayWanted} replay rows wanted (r = ${s.ratio} of N = ${N}) but the pools hold ${held}; replay more requests, lower r, or choose the shortage policy 'fill' or 'keep-ratio'.`);
  if (s.shortage === 'keep-ratio') {
    if (capacity === 0) throw new Error(`mixing: the shortage policy 'keep-ratio' cannot keep the asked shares (hard ratio ${s.hardRatio}, benign share ${s.benignShare}) with ${held}: not one replay row fits. Choose 'fill', or change the shares.`);
    const [task, replay] = largestMixWithin(s, N, capacity);
    return { task, replay, note: `the replay pools give at most ${capacity} rows at the asked shares, not ${replayWanted}: the replay share is kept, so the task part shrinks to ${task} rows (of ${taskWanted}).` };
  }
  const rows = taskWanted + capacity;
  return {
    task: taskWanted,
    replay: capacity,
    note: `the replay pools hold ${capacity} pairs for the ${replayWanted} replay rows wanted (r = ${s.ratio} of N = ${N}): all are taken and task rows do not stand in, so the mix has ${rows} rows and a replay share of ${(capacity / rows).toFixed(3)}.`,
  };
}

function taskRow(example: ChatExample): ChatExample {
  return { messages: example.messages.map((m) => ({ ...m })), meta: { ...example.meta, [MIX_SOURCE_KEY]: 'task' } };
}

/** Mix replay into task data (see the file comment). Same inputs and settings, same mix. */
export function mixReplay(input: MixInput, options: Partial<MixSettings> = {}): MixResult {
  const s = mixSettings(options);
  const benignPool = input.benign ?? [];
  if (!input.task.length) throw new Error('mixing: the task data is empty; give the examples to fine-tune on.');
  checkPool('hard', input.hard, 'hard');
  checkPool('easy', input.easy, 'easy');
  checkPool('benign', benignPool, 'benign');
  const pooled = input.hard.length + input.easy.length + benignPool.length;
  if (s.ratio > 0 && pooled === 0) throw new Error(`mixing: the mixing ratio is ${s.ratio} but there are no replay pairs (hard, easy or benign); generate replay first, or set the ratio to 0 for plain fine-tuning.`);

  const N = s.total ?? input.task.length;
  const replayWanted = shareCount(N, s.ratio);
  const taskWanted = s.mode === 'of-total' ? N - replayWanted : N;
  if (taskWanted > input.task.length) throw new Error(`mixing: ${s.mode === 'of-total' ? `a total N of ${N} at r = ${s.ratio} needs ${taskWanted}` : `N = ${N} needs ${N}`} task examples, but there are ${input.task.length}; lower the total (or leave it unset: every task example).`);
  const notes: string[] = [];
  if (s.ratio > 0 && replayWanted === 0) notes.push(`r = ${s.ratio} of N = ${N} rounds to 0 replay rows; the mix is task data only.`);

  const top = planReplayRows(s, N, taskWanted, replayWanted, { hard: input.hard.length, easy: input.easy.length, benign: benignPool.length });
  if (top.note) notes.push(top.note);
  const [taskCount, replayCount] = [top.task, top.replay];

  // Replay: benign against safety, then hard against easy within safety.
  const safetyCapacity = s.shortage === 'keep-ratio' ? largestAtShare(s.hardRatio, input.hard.length, input.easy.length) : input.hard.length + input.easy.length;
  const benign = splitCounts(replayCount, s.benignShare, [benignPool.length, safetyCapacity], s.shortage, BENIGN_SAFETY);
  const safety = splitCounts(benign.taken[1], s.hardRatio, [input.hard.length, input.easy.length], s.shortage, HARD_EASY);
  for (const note of [describeShortage(benign, s.shortage, BENIGN_SAFETY), describeShortage(safety, s.shortage, HARD_EASY)]) if (note) notes.push(note);

  // Each draw has its own seed, so changing one pool's size does not reshuffle the others.
  const seedOf = (k: number) => pcgHash((s.seed * 4 + k) >>> 0);
  const rows: ChatExample[] = [
    ...drawSeeded(input.task, taskCount, seedOf(0)).map(taskRow),
    ...drawSeeded(input.hard, safety.taken[0], seedOf(1)).map(replayPairToExample),
    ...drawSeeded(input.easy, safety.taken[1], seedOf(2)).map(replayPairToExample),
    ...drawSeeded(benignPool, benign.taken[0], seedOf(3)).map(replayPairToExample),
  ];
  new Rng(pcgHash((s.seed ^ 0x4d495845) >>> 0)).shuffle(rows);

  const bySource: Record<MixSource, number> = { task: taskCount, 'replay-hard': safety.taken[0], 'replay-easy': safety.taken[1], benign: benign.taken[0] };
  const replayTaken = safety.taken[0] + safety.taken[1] + benign.taken[0];
  return {
    examples: rows,
    report: {
      settings: s,
      total: N,
      rows: rows.length,
      task: { available: input.task.length, wanted: taskWanted, taken: taskCount },
      replay: { wanted: replayWanted, taken: replayTaken, share: rows.length ? replayTaken / rows.length : 0 },
      benign,
      safety,
      bySource,
      notes,
    },
  };
}
