// Small records (the model cache index, user settings) as structured-clonable values under string
// keys. In the browser they live in IndexedDB through idb-keyval; Node tests use the in-memory
// store, and the Node folder cache keeps a JSON file (cache-node.ts).

import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';

export interface RecordStore {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  keys(prefix?: string): Promise<string[]>;
}

/** Values are cloned in and out, so a caller mutating what it got cannot change the store. */
export class MemoryRecordStore implements RecordStore {
  private readonly records = new Map<string, unknown>();

  async get<T>(key: string): Promise<T | undefined> {
    const value = this.records.get(key);
    return value === undefined ? undefined : (structuredClone(value) as T);
  }
  async set(key: string, value: unknown): Promise<void> {
    this.records.set(key, structuredClone(value));
  }
  async delete(key: string): Promise<void> {
    this.records.delete(key);
  }
  async keys(prefix = ''): Promise<string[]> {
    return [...this.records.keys()].filter((k) => k.startsWith(prefix));
  }
}

/** IndexedDB through idb-keyval, in its own database so clearing it touches nothing else. */
export class IdbRecordStore implements RecordStore {
  private store: UseStore | null = null;

  constructor(private readonly dbName = 'grsap-studio', private readonly storeName = 'records') {}

  // Opened on first use: constructing the store must not touch IndexedDB (Node, private windows).
  private db(): UseStore {
    this.store ??= createStore(this.dbName, this.storeName);
    return this.store;
  }
  get<T>(key: string): Promise<T | undefined> {
    return get<T>(key, this.db());
  }
  set(key: string, value: unknown): Promise<void> {
    return set(key, value, this.db());
  }
  delete(key: string): Promise<void> {
    return del(key, this.db());
  }
  async keys(prefix = ''): Promise<string[]> {
    return (await keys<IDBValidKey>(this.db())).filter((k): k is string => typeof k === 'string' && k.startsWith(prefix));
  }
}

/** The browser's record store when IndexedDB exists, else an in-memory one (settings then last one session). */
export function defaultRecordStore(): RecordStore {
  return typeof indexedDB === 'undefined' ? new MemoryRecordStore() : new IdbRecordStore();
}
