// A run folder in the app: JSON and JSONL files as records, checkpoints and adapter weights as files
// in the origin-private file system (here its in-memory stand-in, with the worker's sync access
// handles), a binary an older version kept as a record still read and then moved over, and a full
// quota reported with what to do.
import { describe, expect, it } from 'vitest';
import { OpfsBlobStore } from '../../src/storage/cache-browser';
import { MemoryRecordStore } from '../../src/storage/record-store';
import { recordRunStore } from '../../src/studio/experiment-job';
import { FakeDirectoryHandle } from '../storage/helpers/fake-browser-storage';

const bytes = (...v: number[]) => new Uint8Array(v);

describe('run store', () => {
  it('keeps binaries as OPFS files and the rest as records', async () => {
    const records = new MemoryRecordStore();
    const runs = new FakeDirectoryHandle('grsap-runs', { sync: true, writable: false });
    const blobs = new OpfsBlobStore(runs);
    const store = recordRunStore(records, 'demo-quick', async () => blobs);

    await store.write('experiment.json', bytes(123, 125));
    await store.write('units/plain__chat__seed-0/checkpoint.safetensors', bytes(1, 2, 3));
    expect(await records.keys()).toEqual(['experiment/demo-quick/experiment.json']);
    expect([...runs.entries.keys()]).toEqual(['demo-quick']);
    expect(await store.read('units/plain__chat__seed-0/checkpoint.safetensors')).toEqual(bytes(1, 2, 3));
    expect(await store.read('experiment.json')).toEqual(bytes(123, 125));

    // A newer checkpoint replaces the file; no temporary entry is left beside it.
    await store.write('units/plain__chat__seed-0/checkpoint.safetensors', bytes(4, 5));
    expect(await store.read('units/plain__chat__seed-0/checkpoint.safetensors')).toEqual(bytes(4, 5));
    const dir = runs.entries.get('demo-quick') as FakeDirectoryHandle;
    expect([...dir.entries.keys()].some((n) => n.endsWith('.partial'))).toBe(false);
    expect(await store.read('units/grsap__chat__seed-0/checkpoint.safetensors')).toBeNull();
  });

  it('reads a binary kept as a record by an older version, and moves it to a file on the next write', async () => {
    const records = new MemoryRecordStore();
    await records.set('experiment/demo/units/u/adapter/adapter_model.safetensors', bytes(9, 9));
    const blobs = new OpfsBlobStore(new FakeDirectoryHandle('grsap-runs'));
    const store = recordRunStore(records, 'demo', async () => blobs);
    expect(await store.read('units/u/adapter/adapter_model.safetensors')).toEqual(bytes(9, 9));
    await store.write('units/u/adapter/adapter_model.safetensors', bytes(7));
    expect(await records.keys()).toEqual([]);
    expect(await store.read('units/u/adapter/adapter_model.safetensors')).toEqual(bytes(7));
  });

  it('without a blob store keeps everything as records', async () => {
    const records = new MemoryRecordStore();
    const store = recordRunStore(records, 'demo', async () => null);
    await store.write('units/u/checkpoint.safetensors', bytes(1));
    expect(await records.keys()).toEqual(['experiment/demo/units/u/checkpoint.safetensors']);
  });

  it('says what to delete when the quota is full, and keeps the last checkpoint', async () => {
    const records = new MemoryRecordStore();
    const runs = new FakeDirectoryHandle('grsap-runs');
    const blobs = new OpfsBlobStore(runs);
    const store = recordRunStore(records, 'demo', async () => blobs);
    await store.write('units/u/checkpoint.safetensors', bytes(1, 2));
    const full = { ...blobs, partial: async () => ({ size: 0, write: async () => { throw new DOMException('full', 'QuotaExceededError'); }, truncate: async () => {}, commit: async () => {}, close: async () => {}, discard: async () => {} }) };
    const fullStore = recordRunStore(records, 'demo', async () => full as unknown as OpfsBlobStore);
    await expect(fullStore.write('units/u/checkpoint.safetensors', bytes(3))).rejects.toThrow(/storage for this site is full.*checkpoint\.safetensors.*storage panel/);
    expect(await store.read('units/u/checkpoint.safetensors')).toEqual(bytes(1, 2));
    expect(() => recordRunStore(records, '../x')).toThrow(/run id/);
  });
});
