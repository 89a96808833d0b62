// A replay set on disk and into training: one JSON line per pair in the `messages` layout with its
// provenance as fields (replay-pair.ts), which TRL and the HF `datasets` library read unchanged;
// read back, it is mixed into the user's task data (GR-SAP step 5, safety/mixing.ts).

import { mixReplay, type MixResult, type MixSettings } from '../safety/mixing';
import { replayPairFromExample, replayPairToExample, type ReplayPair } from '../safety/replay-pair';
import { parseDataset, toJsonl, type ChatExample } from '../text/datasets';

export type { MixResult, MixSettings };

/** JSONL lines of pairs (an empty string for none). */
export function replaySetToJsonl(pairs: readonly ReplayPair[]): string {
  return pairs.length ? toJsonl(pairs.map(replayPairToExample)) : '';
}

/** The pairs of a saved replay set; an error names the file and the line at fault. */
export function parseReplaySet(text: string, fileName: string): ReplayPair[] {
  const examples = parseDataset(text, fileName);
  let line = 0;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const lineOf = new Map<number, number>();
  lines.forEach((l, i) => {
    if (l.trim()) lineOf.set(line++, i + 1);
  });
  return examples.map((example, i) => replayPairFromExample(example, `${fileName} line ${lineOf.get(i) ?? i + 1}`));
}

/**
 * Mix a replay set into task data for training: the pairs are sorted into their hard, easy and
 * benign pools and mixReplay draws from them at its ratio (r = 0.1 of N by default) and shares.
 */
export function mixReplaySet(task: readonly ChatExample[], pairs: readonly ReplayPair[], settings: Partial<MixSettings> = {}): MixResult {
  return mixReplay(
    {
      task,
      hard: pairs.filter((p) => p.kind === 'hard'),
      easy: pairs.filter((p) => p.kind === 'easy'),
      benign: pairs.filter((p) => p.kind === 'benign'),
    },
    settings,
  );
}
