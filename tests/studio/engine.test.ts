// The engine the worker exposes, driven directly in Node: a Hub model (served on loopback) is
// downloaded into the cache with progress, loaded, and chats; the second load runs offline.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryModelCache } from '../../src/storage/cache';
import { StudioEngine } from '../../src/studio/engine';
import type { LoadProgressReport } from '../../src/worker/api';
import { ModelServer } from '../storage/helpers/model-server';

const TINY = join(import.meta.dirname, '..', 'fixtures', 'tiny-model');

describe('StudioEngine', () => {
  const cache = createMemoryModelCache();
  const engine = new StudioEngine({ cache: async () => cache });
  const server = new ModelServer();
  afterAll(async () => {
    engine.dispose();
    await server.stop();
  });

  it('downloads a model with progress, loads it, chats, and reloads it offline', async () => {
    await server.start();
    server.addRepo('test/tiny', new Map(readdirSync(TINY).map((f) => [f, new Uint8Array(readFileSync(join(TINY, f)))])));
    const url = `${server.origin}/test/tiny/resolve/main/`;
    const progress: LoadProgressReport[] = [];
    const summary = await engine.loadModel({ kind: 'url', url }, (p) => progress.push(p));
    expect(summary).toMatchObject({ architecture: 'LlamaForCausalLM', layers: 2, hidden: 32, chatTemplate: true });
    const downloads = progress.filter((p) => p.phase === 'download');
    expect(downloads.length).toBeGreaterThan(0);
    expect(downloads.at(-1)!.done).toBe(downloads.at(-1)!.total);
    const uploads = progress.filter((p) => p.phase === 'upload');
    expect(uploads.at(-1)!.done).toBe(summary.weightBytes);

    const options = { maxNewTokens: 8, temperature: 0, topP: 1, seed: 0 };
    const reply = await engine.chat([{ role: 'user', content: 'hello there' }], options);
    expect(reply.tokens).toBeGreaterThan(0);
    expect(reply.text.length).toBeGreaterThan(0);

    await server.stop();
    const again = await engine.loadModel({ kind: 'url', url });
    expect(again.id).toBe(summary.id);
    expect(await engine.chat([{ role: 'user', content: 'hello there' }], options)).toMatchObject({ text: reply.text, finish: reply.finish });
  });

  it('says what to do when chatting before loading', async () => {
    await expect(new StudioEngine({ cache: async () => cache }).chat([{ role: 'user', content: 'x' }], { maxNewTokens: 1, temperature: 0, topP: 1, seed: 0 })).rejects.toThrow(/load one first/);
  });
});
