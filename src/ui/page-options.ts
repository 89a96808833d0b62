// Where the page finds its model and which preset the demo button runs. Paths are relative to the
// page, so a build published under any sub-path finds the files beside it.

/** The embedded demo model (Hugging Face layout: config.json, model.safetensors, tokenizer files). */
export const EMBEDDED_MODEL_PATH = 'models/grsap-organism/';
/**
 * The experiment runner's published results (each a run's results.json, `scripts/publish-run.ts`),
 * shown where the demo has not run: the demo's quick preset first, then the larger runs the build has.
 */
export const COMMITTED_RESULTS = [
  { preset: 'quick', path: 'results/quick.json' },
  { preset: 'core', path: 'results/core.json' },
  { preset: 'sweep', path: 'results/sweep.json' },
  { preset: 'extended', path: 'results/extended.json' },
] as const;
/** Presets the demo button may run: the demo's own, and the tests' toy one. */
export const DEMO_PRESETS = ['quick', 'tiny'] as const;

export interface PageOptions {
  modelUrl: string; // absolute URL of the model folder, ending in '/'
  embedded: boolean; // false when ?model= named another folder
  preset: (typeof DEMO_PRESETS)[number];
  runId: string; // the demo's run: its records survive a reload under this id
}

/** The page's options from its URL: `?model=FOLDER/` loads another model folder, `?preset=tiny` runs the toy preset. */
export function pageOptions(href: string): PageOptions {
  const url = new URL(href);
  const model = url.searchParams.get('model');
  const asked = url.searchParams.get('preset') ?? 'quick';
  const preset = (DEMO_PRESETS as readonly string[]).includes(asked) ? (asked as PageOptions['preset']) : 'quick';
  const folder = model ? (model.endsWith('/') ? model : `${model}/`) : EMBEDDED_MODEL_PATH;
  return { modelUrl: new URL(folder, url).href, embedded: !model, preset, runId: `demo-${preset}` };
}
