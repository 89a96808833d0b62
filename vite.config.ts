import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Cross-origin isolation lets onnxruntime-web's wasm backend use threads (SharedArrayBuffer).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  // Relative asset paths: the built folder works from any static host and from a sub-path.
  base: './',
  // Multi-page, no SPA fallback: a missing file must be a 404 (model folders are probed for
  // optional files such as model.safetensors.index.json), never index.html.
  appType: 'mpa',
  server: { headers: isolation },
  preview: { headers: isolation },
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
