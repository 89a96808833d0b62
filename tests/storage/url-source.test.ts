import { afterEach, describe, expect, it, vi } from 'vitest';
import { ModelSourceError } from '../../src/storage/errors';
import { checkpointOpener, resolveModelFiles } from '../../src/storage/model-source';
import { embeddedModelSource, hubModelSource, UrlModelSource } from '../../src/storage/url-source';
import { openCheckpoint } from '../../src/model/safetensors';
import { fakeModelFiles } from './helpers/fake-model';
import { ModelServer } from './helpers/model-server';

const REPO = 'acme/tiny-chat';
let server: ModelServer | null = null;

async function serve(files = fakeModelFiles(), options = {}): Promise<ModelServer> {
  server = await new ModelServer(options).start();
  server.addRepo(REPO, files);
  return server;
}

afterEach(async () => {
  await server?.stop();
  server = null;
});

async function rejection(p: Promise<unknown>): Promise<ModelSourceError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ModelSourceError);
  return e as ModelSourceError;
}

describe('UrlModelSource over HTTP', () => {
  it('reads ranges of a file with Range requests, without fetching the whole file', async () => {
    const files = fakeModelFiles({ weightFloats: 40_000 }); // safetensors ≈ 160 KB, above the 64 KiB probe
    const s = await serve(files);
    const source = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
    const expected = files.get('model.safetensors')!;
    const data = await source.open('model.safetensors');
    expect(data.size).toBe(expected.length);
    for (const [offset, length] of [[0, 8], [100_000, 4096], [expected.length - 7, 7], [65_530, 20]]) {
      expect([...(await data.read(offset, length))]).toEqual([...expected.subarray(offset, offset + length)]);
    }
    await expect(data.read(expected.length - 2, 3)).rejects.toThrow(RangeError);
    const gets = s.gets('model.safetensors');
    expect(gets.every((r) => r.range !== undefined)).toBe(true);
    // The probe, then one request per read beyond it ([0, 8] came from the probe).
    expect(gets.map((r) => r.range)).toEqual([
      'bytes=0-65535',
      'bytes=100000-104095',
      `bytes=${expected.length - 7}-${expected.length - 1}`,
      'bytes=65530-65549',
    ]);
  });

  it("follows the Hub's redirects: 307 under /api/resolve-cache/ for regular files, 302 to the CDN for LFS files", async () => {
    const files = fakeModelFiles({ weightFloats: 40_000 });
    const s = await serve(files, { hub: true });
    const source = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
    expect(JSON.parse(await source.text('config.json'))).toEqual(JSON.parse(new TextDecoder().decode(files.get('config.json')!)));
    const expected = files.get('model.safetensors')!;
    const data = await source.open('model.safetensors');
    expect(data.size).toBe(expected.length);
    expect([...(await data.read(100_000, 64))]).toEqual([...expected.subarray(100_000, 100_064)]);
    const paths = s.requests.map((r) => r.path);
    expect(paths.some((p) => p.startsWith(`/api/resolve-cache/models/${REPO}/`) && p.endsWith('/config.json'))).toBe(true);
    const cdn = s.requests.filter((r) => r.path.startsWith('/cdn-lfs/'));
    expect(cdn.length).toBeGreaterThanOrEqual(2); // the probe and the read, each redirected, the Range kept
    expect(cdn.every((r) => r.range !== undefined)).toBe(true);
  });

  it('loads tensors through the safetensors reader, single file and sharded', async () => {
    for (const sharded of [false, true]) {
      const s = await serve(fakeModelFiles({ weightFloats: 4_000, sharded }));
      const source = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
      const reader = await openCheckpoint(checkpointOpener(source));
      expect([...reader.names].sort()).toEqual(['model.embed_tokens.weight', 'model.norm.weight']);
      const norm = await reader.readFloat32('model.norm.weight');
      expect(norm[3]).toBeCloseTo(Math.sin(2 * 1000 + 3 * 0.37), 6);
      await reader.close();
      await s.stop();
    }
  });

  it('falls back to reading the whole body when the server ignores Range', async () => {
    const files = fakeModelFiles({ weightFloats: 4_000 });
    const s = await serve(files, { ranges: false });
    const source = new UrlModelSource(`${s.origin}/${REPO}/resolve/main`);
    const data = await source.open('model.safetensors');
    const expected = files.get('model.safetensors')!;
    expect(data.size).toBe(expected.length);
    expect([...(await data.read(1000, 16))]).toEqual([...expected.subarray(1000, 1016)]);
    expect(s.gets('model.safetensors')).toHaveLength(2); // the probe, then the whole body
  });

  it('gives a stalled range read a bounded time, then retries it', async () => {
    const files = fakeModelFiles({ weightFloats: 40_000 });
    const s = await serve(files);
    const expected = files.get('model.safetensors')!;
    const source = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
    const patient = new UrlModelSource(source.baseUrl, { requestTimeoutMs: 300, readAttempts: 2, retryDelayMs: 5 });
    s.addFaults(REPO, 'model.safetensors', [{ kind: 'ok' }, { kind: 'stall', afterBytes: 10 }]);
    const data = await patient.open('model.safetensors');
    const started = performance.now();
    expect([...(await data.read(100_000, 4096))]).toEqual([...expected.subarray(100_000, 104_096)]);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(s.gets('model.safetensors').map((r) => r.range).slice(1)).toEqual(['bytes=100000-104095', 'bytes=100000-104095']);

    const once = new UrlModelSource(source.baseUrl, { requestTimeoutMs: 300, readAttempts: 1 });
    s.addFaults(REPO, 'model.safetensors', [{ kind: 'ok' }, { kind: 'stall', afterBytes: 10 }]);
    const e = await rejection((await once.open('model.safetensors')).read(100_000, 4096));
    expect(e.kind).toBe('network');
    expect(e.message).toMatch(/did not deliver model\.safetensors in time/);
  });

  it('reads text and JSON, and lists the files of a Hub repo', async () => {
    const s = await serve();
    const source = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
    expect(await source.json<{ model_type: string }>('config.json')).toMatchObject({ model_type: 'llama' });
    expect(source.id).toBe(`hf:${REPO}@main`);
    expect((await source.listFiles!()).sort()).toEqual([...fakeModelFiles().keys()].sort());
    expect(await source.has('generation_config.json')).toBe(true);
    expect(await source.has('special_tokens_map.json')).toBe(false);
    expect(await source.stat('config.json')).toMatchObject({ size: fakeModelFiles().get('config.json')!.length });
  });

  it('finds the files a model needs, sharded weights included', async () => {
    const s = await serve(fakeModelFiles({ weightFloats: 800, sharded: true }));
    const viaApi = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
    const viaHead = new UrlModelSource(`${s.origin}/${REPO}/resolve/main/`); // no listing: HEAD per file
    const expected = [
      'config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors.index.json',
      'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'generation_config.json',
    ];
    expect(await resolveModelFiles(viaApi)).toEqual(expected);
    expect(await resolveModelFiles(viaHead)).toEqual(expected);
  });

  it('sends the token as a Bearer header and explains 401/403 as gated or private', async () => {
    const s = await serve(fakeModelFiles(), { token: 'hf_secret' });
    const anonymous = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
    const e401 = await rejection(anonymous.text('config.json'));
    expect(e401.kind).toBe('unauthorized');
    expect(e401.status).toBe(401);
    expect(e401.message).toMatch(/gated or private: accept the licence on the Hub and give an access token/);
    expect(e401.message).toContain(REPO);

    const wrong = hubModelSource(REPO, 'main', 'hf_wrong', { endpoint: s.origin });
    const e403 = await rejection(wrong.has('config.json'));
    expect(e403.status).toBe(403);
    expect(e403.message).toMatch(/gated or private.*token given was refused/);

    const good = hubModelSource(REPO, 'main', 'hf_secret', { endpoint: s.origin });
    expect(await good.json('config.json')).toMatchObject({ model_type: 'llama' });
    expect(s.requests.at(-1)!.authorization).toBe('Bearer hf_secret');
  });

  it('names the repo, the file and the revision on 404', async () => {
    const s = await serve();
    const source = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
    const missing = await rejection(source.text('nope.json'));
    expect(missing.kind).toBe('not-found');
    expect(missing.message).toMatch(/nope\.json was not found in acme\/tiny-chat at revision "main"/);
    expect(missing.message).toContain('EntryNotFound');

    const badRevision = hubModelSource(REPO, 'v9', undefined, { endpoint: s.origin });
    const e = await rejection(badRevision.has('config.json')); // has() must not answer "false" for a wrong revision
    expect(e.message).toMatch(/config\.json was not found in acme\/tiny-chat at revision "v9".*RevisionNotFound/);

    const plain = new UrlModelSource(`${s.origin}/elsewhere/`);
    expect((await rejection(plain.open('config.json'))).message).toMatch(/config\.json was not found at http:\/\/127\.0\.0\.1:\d+\/elsewhere\/config\.json/);
  });

  it('says the network failed, and that cached models still work, when the server is gone', async () => {
    const s = await serve();
    const source = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
    await s.stop();
    const e = await rejection(source.open('config.json'));
    expect(e.kind).toBe('network');
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/Could not reach 127\.0\.0\.1:\d+ to fetch config\.json/);
    expect(e.message).toMatch(/models already in the cache still work offline/);
  });

  it('refuses file names that leave the model folder and non-http URLs', async () => {
    const source = new UrlModelSource('http://127.0.0.1:9/m/');
    for (const bad of ['../secret', 'a/../../b', '/etc/passwd', 'a\\b', '']) {
      expect(() => source.urlOf(bad)).toThrow(/not a valid model file name/);
    }
    expect(source.urlOf('onnx/model #1.onnx')).toBe('http://127.0.0.1:9/m/onnx/model%20%231.onnx');
    expect(() => new UrlModelSource('file:///etc/')).toThrow(/not an http\(s\) URL/);
    expect(() => new UrlModelSource('models/tiny/')).toThrow(/absolute/);
    expect(() => hubModelSource('../x')).toThrow(/not a Hub repo id/);
    expect(hubModelSource('a/b', 'refs/pr/1').baseUrl).toBe('https://huggingface.co/a/b/resolve/refs%2Fpr%2F1/');
  });

  it('finds the embedded model from the site base, also from a worker URL', () => {
    expect(() => embeddedModelSource('models/tiny-chat')).toThrow(/NodeFolderModelSource/);
    vi.stubGlobal('location', { origin: 'https://studio.example', href: 'https://studio.example/assets/engine.worker-abc.js' });
    try {
      const source = embeddedModelSource('models/tiny-chat');
      expect(source.baseUrl).toBe('https://studio.example/models/tiny-chat/');
      expect(source.id).toBe('embedded:models/tiny-chat');
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
