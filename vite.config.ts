import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { gitStamp } from './src/cli/git-build.ts';
import { hostHeaders, ISOLATION_HEADERS } from './src/ui/privacy.ts';

// The built app's headers (src/ui/privacy.ts): cross-origin isolation, so onnxruntime-web's wasm
// can use threads, and the Content-Security-Policy as a header beside the page's meta policy. The
// build also writes them as `_headers` for static hosts that read that file; a host that sends no
// headers still gets the meta policy (and single-threaded wasm).
const headersFile: Plugin = {
  name: 'grsap-headers-file',
  apply: 'build',
  generateBundle() {
    const lines = Object.entries(hostHeaders()).map(([k, v]) => `  ${k}: ${v}`);
    this.emitFile({ type: 'asset', fileName: '_headers', source: ['/*', ...lines, ''].join('\n') });
  },
};

export default defineConfig({
  // Relative asset paths: the built folder works from any static host and from a sub-path.
  base: './',
  // Multi-page, no SPA fallback: a missing file must be a 404 (model folders are probed for
  // optional files such as model.safetensors.index.json), never index.html.
  appType: 'mpa',
  // The dev server sends isolation only: its hot reload needs inline styles and a websocket.
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: hostHeaders() },
  plugins: [headersFile],
  // The commit the app is built from (src/util/engine-build.ts): experiments record it.
  define: { __GRSAP_BUILD__: JSON.stringify(gitStamp()) },
  worker: { format: 'es' },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    target: 'esnext',
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        bench: resolve(import.meta.dirname, 'bench.html'),
      },
    },
  },
});
