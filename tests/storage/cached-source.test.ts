import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/model/safetensors';
import { createMemoryModelCache } from '../../src/storage/cache';
import { createNodeFolderModelCache } from '../../src/storage/cache-node';
import { CachedModelSource } from '../../src/storage/cached-source';
import type { DownloadProgress } from '../../src/storage/download';
import { ModelSourceError } from '../../src/storage/errors';
import { checkpointOpener, resolveModelFiles } from '../../src/storage/model-source';
import { hubModelSource } from '../../src/storage/url-source';
import { fakeModelFiles } from './helpers/fake-model';
import { ModelServer } from './helpers/model-server';

const REPO = 'acme/tiny-chat';
let server: ModelServer | null = null;
const tempDirs: string[] = [];

afterEach(async () => {
  await server?.stop();
  server = null;
});
afterAll(async () => {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

const quick = { retryDelayMs: 5, stallTimeoutMs: 2000, maxAttempts: 3 };

describe('CachedModelSource', () => {
  it('downloads once, then loads the whole model with the server stopped', async () => {
    const files = fakeModelFiles({ weightFloats: 8_000, sharded: true });
    server = await new ModelServer().start();
    server.addRepo(REPO, files);
    const root = await mkdtemp(join(tmpdir(), 'grsap-cached-'));
    tempDirs.push(root);

    const online = new CachedModelSource(hubModelSource(REPO, 'main', undefined, { endpoint: server.origin }), await createNodeFolderModelCache(root), quick);
    const events: DownloadProgress[] = [];
    const info = await online.ensureCached({ onProgress: (p) => events.push(p) });
    expect(info).toMatchObject({ modelId: `hf:${REPO}@main`, revision: 'main', complete: true });
    expect(events.at(-1)!.overall.filesDone).toBe(files.size);
    const endpoint = server.origin;
    await server.stop();

    // A fresh process: new cache object on the same folder, new upstream pointing at the dead server.
    const offline = new CachedModelSource(hubModelSource(REPO, 'main', undefined, { endpoint }), await createNodeFolderModelCache(root), quick);
    expect(await offline.isComplete()).toBe(true);
    expect(await offline.json('config.json')).toMatchObject({ model_type: 'llama' });
    expect(await offline.has('generation_config.json')).toBe(true);
    expect(await offline.has('special_tokens_map.json')).toBe(false); // answered without the network
    expect((await offline.listFiles()).sort()).toEqual([...files.keys()].sort());
    expect(await resolveModelFiles(offline)).toContain('model-00002-of-00002.safetensors');
    const reader = await openCheckpoint(checkpointOpener(offline));
    const embed = await reader.readFloat32('model.embed_tokens.weight');
    expect(embed.length).toBe(8_000);
    expect(embed[7]).toBeCloseTo(Math.sin(1000 + 7 * 0.37), 6);
    await reader.close();
    // Offline again, but for a file the cache never had: the error says the network is the problem.
    const e = await offline.open('README.md').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ModelSourceError);
    expect((e as ModelSourceError).message).toMatch(/Could not reach.*models already in the cache still work offline/);
  });

  it('fetches a missing file on first open and serves it from the cache after', async () => {
    const files = fakeModelFiles({ weightFloats: 800 });
    server = await new ModelServer().start();
    server.addRepo(REPO, files);
    const cached = new CachedModelSource(hubModelSource(REPO, 'main', undefined, { endpoint: server.origin }), createMemoryModelCache(), quick);
    for (let i = 0; i < 3; i++) expect(await cached.text('tokenizer_config.json')).toBe(new TextDecoder().decode(files.get('tokenizer_config.json')));
    expect(server.gets('tokenizer_config.json')).toHaveLength(1);
    expect(await cached.isComplete()).toBe(false); // one file cached, the model not marked complete
    const data = await cached.open('model.safetensors');
    expect(data.size).toBe(files.get('model.safetensors')!.length);
    await cached.open('model.safetensors');
    expect(server.gets('model.safetensors')).toHaveLength(1);
  });
});
