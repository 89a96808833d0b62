// The ONNX classifier judge in a browser worker (headless Chromium, built with Vite): onnxruntime-web
// loads its wasm from the bundle's own assets (no other host is asked) and the guard's logits there
// equal the TypeScript forward.

import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useBuiltApp } from './helpers';

const ROOT = resolve(import.meta.dirname, '..', '..');
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

describe('ONNX classifier judge in a browser worker', () => {
  const app = useBuiltApp('grsap-onnx-judge-', { input: { judge: join(ROOT, 'tests/e2e/onnx-judge-page/index.html') }, headers: ISOLATION });

  it('judges with the wasm backend from the bundle and matches the TypeScript forward', async () => {
    const origin = app.server.url.replace(/\/$/, '');
    const page = await app.browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`${origin}/tests/e2e/onnx-judge-page/index.html`);
    await page.waitForFunction(() => document.getElementById('out')?.textContent !== 'running', null, { timeout: 120_000 });
    const result = JSON.parse((await page.textContent('#out'))!) as Record<string, unknown>;
    expect(result.error).toBeUndefined();
    expect(result.maxLogit as number).toBeGreaterThan(0.5);
    expect(result.maxDiff as number).toBeLessThan(1e-5);
    expect(result.labels).toEqual(result.expectedLabels);
    expect(result.judge).toBe('onnx:worker-guard');
    expect(result.crossOriginIsolated).toBe(true);
    expect(requests.filter((u) => !u.startsWith(origin))).toEqual([]);
    expect(requests.some((u) => /\/assets\/ort-wasm[^/]*\.wasm$/.test(u))).toBe(true);
  }, 180_000);
});
