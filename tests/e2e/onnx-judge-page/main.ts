// Runs worker.ts and shows what it reports, for tests/e2e/onnx-judge-worker.test.ts.

const out = document.getElementById('out')!;
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
worker.onmessage = (e: MessageEvent) => (out.textContent = JSON.stringify(e.data));
worker.onerror = (e) => (out.textContent = JSON.stringify({ error: e.message }));
worker.postMessage('run');
