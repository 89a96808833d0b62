// The layers of src/ and who may import whom (ARCHITECTURE.md): a layer imports only the layers
// listed for it (and npm packages), never one above it. The UI sees the engine only through the
// worker, and the studio's types. This test reads every import of src/ and names each one that
// breaks the order.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', 'src');

/** For each layer, the layers it may import. */
const ALLOWED: Record<string, readonly string[]> = {
  util: [],
  gpu: ['util'],
  ops: ['gpu', 'util'],
  text: ['util'],
  storage: ['util'],
  model: ['ops', 'gpu', 'text', 'util'],
  train: ['model', 'ops', 'gpu', 'text', 'util'],
  world: ['text', 'util'],
  safety: ['train', 'model', 'text', 'util'], // the method knows no world
  studio: ['safety', 'world', 'train', 'model', 'ops', 'gpu', 'text', 'storage', 'util'],
  worker: ['studio'],
  ui: ['worker', 'studio'], // studio: types only
  cli: ['studio', 'text', 'storage', 'util'],
};
const TYPES_ONLY: Record<string, readonly string[]> = { ui: ['studio'] };

interface Import {
  file: string; // relative to src/
  specifier: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|mts|mjs)$/.test(e.name) ? [path] : [];
  });
}

/** Static imports and re-exports (`import … from`, `export … from`, `import '…'`) and dynamic import('…'). */
export function importsOf(text: string): { specifier: string; typeOnly: boolean }[] {
  const out: { specifier: string; typeOnly: boolean }[] = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const statement = /(?:^|;|\n)\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/g;
  for (const m of code.matchAll(statement)) {
    const names = m[3];
    const allTypes = /^\{[^}]*\}$/.test(names.trim()) && names.replace(/[{}]/g, '').split(',').filter((n) => n.trim()).every((n) => /^\s*type\s/.test(n));
    out.push({ specifier: m[4], typeOnly: Boolean(m[2]) || allTypes });
  }
  for (const m of code.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) out.push({ specifier: m[1], typeOnly: false });
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ specifier: m[1], typeOnly: false });
  return out;
}

function layerOf(fileInSrc: string): string {
  return fileInSrc.split(sep)[0];
}

function allImports(): Import[] {
  return sourceFiles(SRC).flatMap((path) =>
    importsOf(readFileSync(path, 'utf8')).map((i) => ({ file: relative(SRC, path), ...i })),
  );
}

/** Every import of src/ that breaks the layer order, as "file: imports 'x' (layer a → b)". */
function violations(imports: Import[]): string[] {
  const bad: string[] = [];
  for (const imp of imports) {
    if (!imp.specifier.startsWith('.')) continue; // npm packages
    const from = layerOf(imp.file);
    const target = relative(SRC, resolve(SRC, dirname(imp.file), imp.specifier));
    if (target.startsWith('..')) continue; // outside src/ (shaders)
    const to = layerOf(target);
    if (to === from) continue;
    const allowed = ALLOWED[from];
    if (!allowed) {
      bad.push(`${imp.file}: layer "${from}" is not in the layer table; add it to ARCHITECTURE.md and this test`);
      continue;
    }
    if (!allowed.includes(to)) bad.push(`${imp.file}: imports '${imp.specifier}' (${from} → ${to}; ${from} may import ${allowed.join(', ') || 'nothing of ours'})`);
    else if (TYPES_ONLY[from]?.includes(to) && !imp.typeOnly) bad.push(`${imp.file}: imports '${imp.specifier}' as a value (${from} may import only types from ${to})`);
  }
  return bad;
}

describe('layering of src/', () => {
  it('every import follows the layer order', () => {
    const imports = allImports();
    expect(imports.length).toBeGreaterThan(100);
    expect(violations(imports)).toEqual([]);
  });

  it('reads imports of every form, and names an import against the order', () => {
    const text = [
      "import { a } from '../gpu/gpu';",
      "import type { B } from '../studio/api';",
      "import { type C, type D } from '../studio/jobs';",
      "export { e } from '../model/model';",
      "import '../ops/side-effect';",
      'const m = await import("../train/trainer");',
      "// import { no } from '../comment/only';",
    ].join('\n');
    const found = importsOf(text);
    expect(found.map((i) => i.specifier)).toEqual(['../gpu/gpu', '../studio/api', '../studio/jobs', '../model/model', '../ops/side-effect', '../train/trainer']);
    expect(found.map((i) => i.typeOnly)).toEqual([false, true, true, false, false, false]);
    const imports = found.map((i) => ({ file: join('ui', 'panel.ts'), ...i }));
    expect(violations(imports)).toEqual([
      "ui/panel.ts: imports '../gpu/gpu' (ui → gpu; ui may import worker, studio)",
      "ui/panel.ts: imports '../model/model' (ui → model; ui may import worker, studio)",
      "ui/panel.ts: imports '../ops/side-effect' (ui → ops; ui may import worker, studio)",
      "ui/panel.ts: imports '../train/trainer' (ui → train; ui may import worker, studio)",
    ]);
    expect(violations([{ file: join('ui', 'x.ts'), specifier: '../studio/jobs', typeOnly: false }])).toEqual(["ui/x.ts: imports '../studio/jobs' as a value (ui may import only types from studio)"]);
  });
});
