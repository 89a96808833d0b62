import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/model/safetensors';
import { createMemoryModelCache } from '../../src/storage/cache';
import { downloadModel, type DownloadProgress } from '../../src/storage/download';
import { checkpointOpener, DirectoryModelSource, FileListModelSource, NodeFolderModelSource, resolveModelFiles } from '../../src/storage/model-source';
import { FakeDirectoryHandle } from './helpers/fake-browser-storage';
import { fakeModelFiles } from './helpers/fake-model';

const tempDirs: string[] = [];
afterAll(async () => {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

/** A File as <input webkitdirectory> gives it: its path inside the picked folder. */
function pickedFile(path: string, bytes: Uint8Array): File {
  const file = new File([bytes.slice()], path.split('/').at(-1)!);
  Object.defineProperty(file, 'webkitRelativePath', { value: path });
  return file;
}

describe('NodeFolderModelSource', () => {
  it('lists, stats and reads files of a folder, nested ones included', async () => {
    const files = fakeModelFiles({ weightFloats: 800 });
    const root = await mkdtemp(join(tmpdir(), 'grsap-folder-'));
    tempDirs.push(root);
    for (const [name, bytes] of files) await writeFile(join(root, name), bytes);
    await mkdir(join(root, 'onnx'));
    await writeFile(join(root, 'onnx', 'guard.onnx'), new Uint8Array([1, 2, 3]));

    const source = new NodeFolderModelSource(root);
    expect((await source.listFiles()).sort()).toEqual([...files.keys(), 'onnx/guard.onnx'].sort());
    expect(await source.has('onnx/guard.onnx')).toBe(true);
    expect(await source.has('onnx')).toBe(false); // a folder is not a file
    expect(await source.stat('config.json')).toEqual({ size: files.get('config.json')!.length });
    expect(await source.json('config.json')).toMatchObject({ model_type: 'llama' });
    const data = await source.open('onnx/guard.onnx');
    expect([...(await data.read(1, 2))]).toEqual([2, 3]);
    await data.close?.();
    await expect(source.open('missing.json')).rejects.toThrow(`missing.json was not found in the folder ${root}`);
    await expect(source.open('../x')).rejects.toThrow(/not a valid model file name/);

    const reader = await openCheckpoint(checkpointOpener(source));
    expect(await reader.readFloat32('model.norm.weight')).toHaveLength(8);
    await reader.close();
  });
});

describe('FileListModelSource', () => {
  it('strips the picked folder name and copies into the cache through random access', async () => {
    const files = fakeModelFiles({ weightFloats: 4_000 });
    const picked = [...files].map(([name, bytes]) => pickedFile(`SmolTiny/${name}`, bytes));
    const source = new FileListModelSource(picked);
    expect(source.id).toMatch(/^local:SmolTiny#[0-9a-f]{8}$/);
    expect((await source.listFiles()).sort()).toEqual([...files.keys()].sort());
    expect(await resolveModelFiles(source)).toEqual(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors', 'generation_config.json']);

    // The same names with different contents must not share a cache entry.
    const changed = new Map(files);
    changed.set('config.json', new TextEncoder().encode('{"model_type":"llama","hidden_size":16}'));
    expect(new FileListModelSource([...changed].map(([n, b]) => pickedFile(`SmolTiny/${n}`, b))).id).not.toBe(source.id);

    const cache = createMemoryModelCache();
    const events: DownloadProgress[] = [];
    const info = await downloadModel(source, cache, { chunkBytes: 4096, progressIntervalMs: 0, onProgress: (p) => events.push(p) });
    expect(info.complete).toBe(true);
    expect([...(await cache.get(source.id, 'model.safetensors'))!]).toEqual([...files.get('model.safetensors')!]);
    expect(events.filter((e) => e.file === 'model.safetensors' && !e.fileDone).length).toBeGreaterThan(3);
    await expect(source.open('nope.bin')).rejects.toThrow(/nope\.bin was not found in the files given/);
  });

  it('keeps plain file names when files were picked one by one', async () => {
    const source = new FileListModelSource([new File(['{}'], 'config.json'), new File(['{}'], 'tokenizer.json')]);
    expect((await source.listFiles()).sort()).toEqual(['config.json', 'tokenizer.json']);
    expect(source.id).toMatch(/^local:files#/);
    expect(await source.json('config.json')).toEqual({});
  });
});

describe('DirectoryModelSource', () => {
  it('reads a folder handle, nested files included, and answers false for missing ones', async () => {
    const root = new FakeDirectoryHandle('picked');
    const files = fakeModelFiles({ weightFloats: 800 });
    for (const [name, bytes] of files) {
      const writable = await (await root.getFileHandle(name, { create: true })).createWritable!();
      await writable.write(bytes);
      await writable.close();
    }
    const sub = await root.getDirectoryHandle('onnx', { create: true });
    const w = await (await sub.getFileHandle('guard.onnx', { create: true })).createWritable!();
    await w.write(new Uint8Array([9, 8, 7]));
    await w.close();

    const source = new DirectoryModelSource(root);
    expect(source.id).toBe('local-dir:picked');
    expect((await source.listFiles()).sort()).toEqual([...files.keys(), 'onnx/guard.onnx'].sort());
    expect(await source.has('onnx/guard.onnx')).toBe(true);
    expect(await source.has('onnx/other.onnx')).toBe(false);
    expect(await source.has('nothere/x.json')).toBe(false);
    expect(await source.has('onnx')).toBe(false);
    expect([...(await (await source.open('onnx/guard.onnx')).read(0, 3))]).toEqual([9, 8, 7]);
    expect(await source.json('config.json')).toMatchObject({ model_type: 'llama' });
    await expect(source.open('x.json')).rejects.toThrow(/x\.json was not found in the folder "picked"/);
  });
});
