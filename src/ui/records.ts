// The page's own small records in IndexedDB (idb-keyval): the replay set, training runs and their
// checkpoints. A full quota is reported with what to delete, never swallowed.

import { createStore, del, get, set, type UseStore } from 'idb-keyval';

let store: UseStore | null = null;
const db = () => (store ??= createStore('grsap-app', 'records'));

function quotaMessage(key: string, e: unknown): Error {
  const name = (e as { name?: string } | null)?.name;
  if (name === 'QuotaExceededError') return new Error(`The browser's storage for this site is full, so "${key}" was not saved. Delete cached models or old runs in the storage panel (below the steps), then try again.`);
  return e instanceof Error ? e : new Error(String(e));
}

export const appRecords = {
  get<T>(key: string): Promise<T | undefined> {
    return get<T>(key, db());
  },
  async set(key: string, value: unknown): Promise<void> {
    try {
      await set(key, value, db());
    } catch (e) {
      throw quotaMessage(key, e);
    }
  },
  delete(key: string): Promise<void> {
    return del(key, db());
  },
  /** Close the connection (deleting the database waits for every open one). */
  async close(): Promise<void> {
    if (!store) return;
    await store('readonly', (s) => s.transaction.db.close());
    store = null;
  },
};
