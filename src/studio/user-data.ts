// The user's own task data in the app: a dataset file in any of the common layouts (messages,
// ShareGPT, Alpaca, prompt/completion; JSONL, JSON or CSV), checked for training, and split into
// train / validation / test by a seeded shuffle. Errors name the file and the record.

import { DatasetError, readDataset, type ChatExample, type DatasetLayout } from '../text/datasets';
import { Rng } from '../util/rng';

/** Shares of the validation and test splits; the rest trains. */
export const DEFAULT_SPLIT = { validation: 0.1, test: 0.1 } as const;
/** Below this many examples there is no validation or test split: everything trains. */
export const MIN_EXAMPLES_TO_SPLIT = 10;

export interface UserDataset {
  name: string; // the file's name
  layouts: Partial<Record<DatasetLayout, number>>; // records read in each layout
  examples: ChatExample[]; // in file order
  seed: number; // of the split's shuffle
  split: { train: number[]; validation: number[]; test: number[] }; // indices into examples
}

/** Sizes of the validation and test splits for n examples (each at least 1 once n is large enough to split). */
export function splitSizes(n: number, shares: { validation: number; test: number } = DEFAULT_SPLIT): { train: number; validation: number; test: number } {
  if (n < MIN_EXAMPLES_TO_SPLIT) return { train: n, validation: 0, test: 0 };
  const validation = Math.max(1, Math.round(n * shares.validation));
  const test = Math.max(1, Math.round(n * shares.test));
  return { train: n - validation - test, validation, test };
}

/** Read and split a dataset file the user chose; throws a DatasetError naming the file and the record at fault. */
export function readUserDataset(fileName: string, text: string, seed = 0): UserDataset {
  const { examples, layouts, where } = readDataset(text, fileName);
  if (!examples.length) throw new DatasetError(fileName, '', 'holds no examples. Give one record per line (.jsonl), an array (.json) or rows under a header (.csv).');
  examples.forEach((e, i) => {
    const last = e.messages.at(-1)!;
    if (last.role !== 'assistant' || !last.content.trim()) {
      throw new DatasetError(fileName, where[i], 'must end with a non-empty assistant answer: training learns the answers. Remove the record or add its answer.');
    }
  });
  const order = examples.map((_, i) => i);
  const rng = new Rng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const sizes = splitSizes(examples.length);
  const sorted = (a: number[]) => a.sort((x, y) => x - y);
  return {
    name: fileName,
    layouts,
    examples,
    seed,
    split: {
      test: sorted(order.slice(0, sizes.test)),
      validation: sorted(order.slice(sizes.test, sizes.test + sizes.validation)),
      train: sorted(order.slice(sizes.test + sizes.validation)),
    },
  };
}
