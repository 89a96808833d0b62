// The user's own task data, as the Data step read it: kept in this browser (IndexedDB) so a reload
// keeps it, and offered to the Train step beside the world's chat task. Never uploaded.

import { signal } from '@preact/signals';
import type { ChatExample, UserDataset } from '../studio/api';
import { appRecords } from './records';

const KEY = 'user-dataset';

export const userDataset = signal<UserDataset | null>(null);

export async function restoreUserDataset(): Promise<void> {
  userDataset.value = (await appRecords.get<UserDataset>(KEY)) ?? null;
}

export async function keepUserDataset(dataset: UserDataset | null): Promise<void> {
  if (dataset) await appRecords.set(KEY, dataset);
  else await appRecords.delete(KEY);
  userDataset.value = dataset;
}

export function userExamples(dataset: UserDataset, split: keyof UserDataset['split']): ChatExample[] {
  return dataset.split[split].map((i) => dataset.examples[i]);
}
