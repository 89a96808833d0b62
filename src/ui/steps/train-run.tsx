// Training runs of one's own on the loaded model: the paper's settings in a form, plain fine-tuning
// on the world's chat task (or the user's own data from the Data step) and GR-SAP on the same task
// mixed with the Replay step's set; live loss
// curves, tokens/s and ETA; pause (a checkpoint), resume, cancel. Each run's data and record are
// kept in IndexedDB and its last checkpoint in the origin-private file system (IndexedDB where
// there is none), so a reload can resume it.

import { signal } from '@preact/signals';
import { useEffect, useState } from 'preact/hooks';
import type { ChatExample, JobId, MixSettings, PresetInfo, TrainConfig, TrainEvent, TrainingFit, TrainingRecord, TrainOverrides, TrainResult } from '../../studio/api';
import { runJob } from '../../worker/client';
import { preset } from '../demo';
import { LossChart } from '../parts/loss-chart';
import { appRecords } from '../records';
import { busy, model, type Studio } from '../state';
import { replaySet } from './replay-run';
import { downloadFile, formatBytes } from '../dom';
import { userDataset, userExamples } from '../user-dataset';

type MixMode = MixSettings['mode'];

type Arm = 'plain' | 'grsap';
const ARM_LABEL: Record<Arm, string> = { plain: 'plain fine-tuning', grsap: 'GR-SAP' };
const CHECKPOINT_EVERY = 10; // steps

/** What is kept of a run: enough to resume it with the same data and settings. */
interface SavedRun {
  arm: Arm;
  config: TrainOverrides;
  examples: ChatExample[]; // the rows trained on (the mix, for GR-SAP)
  record: TrainingRecord | null;
  checkpoint: Uint8Array | null;
}

interface RunView {
  status: 'running' | 'pausing' | 'paused' | 'done' | 'failed';
  line: string;
  points: [number, number][];
  adapterId: string | null;
  error: string | null;
}

const runs = signal<Partial<Record<Arm, RunView>>>({});
const saved = signal<Partial<Record<Arm, SavedRun>>>({});
const key = (arm: Arm) => `train-run/${arm}`;

/** As kept in IndexedDB: the checkpoint's bytes in the record, or in the engine's kept files (`checkpointInFiles`). */
type StoredRun = SavedRun & { checkpointInFiles?: boolean };

const checkpointName = (arm: Arm) => `${arm}.checkpoint`;

/** The checkpoint goes into a file first (the engine writes a temporary one, then moves it into place), the record after it, so a record never names a checkpoint that is not there. */
async function persist(studio: Studio, run: SavedRun): Promise<void> {
  let inFiles = false;
  if (run.checkpoint) {
    try {
      inFiles = await studio.engine.keepFile(checkpointName(run.arm), run.checkpoint);
    } catch (e) {
      const name = (e as { name?: string } | null)?.name;
      throw name === 'QuotaExceededError' ? new Error(`The browser's storage for this site is full, so the ${ARM_LABEL[run.arm]} run's checkpoint was not saved. Delete cached models or old runs in the storage panel (below the steps), then try again.`) : e;
    }
  }
  const stored: StoredRun = inFiles ? { ...run, checkpoint: null, checkpointInFiles: true } : run;
  return appRecords.set(key(run.arm), stored);
}

export async function restoreTrainRuns(studio: Studio): Promise<void> {
  for (const arm of ['plain', 'grsap'] as Arm[]) {
    const stored = await appRecords.get<StoredRun>(key(arm));
    if (!stored) continue;
    const { checkpointInFiles, ...s } = stored;
    if (checkpointInFiles) s.checkpoint = await studio.engine.keptFile(checkpointName(arm)).catch(() => null); // a missing file: the run cannot resume, and says so
    saved.value = { ...saved.value, [arm]: s };
    const status = s.record?.status === 'done' ? 'done' : 'paused';
    runs.value = { ...runs.value, [arm]: { status, line: s.record ? `${status === 'done' ? 'Finished' : 'Paused'} at step ${s.record.steps.done} of ${s.record.steps.total}.` : 'Not started.', points: s.record?.losses ?? [], adapterId: null, error: null } };
  }
}

function setRun(arm: Arm, patch: Partial<RunView>): void {
  const current = runs.value[arm] ?? { status: 'running', line: '', points: [], adapterId: null, error: null };
  runs.value = { ...runs.value, [arm]: { ...current, ...patch } };
}

const saving: Partial<Record<Arm, Promise<void>>> = {};

/** Keep the run; one save at a time per run (a checkpoint's save may still be writing when the run ends). */
function save(studio: Studio, run: SavedRun): Promise<void> {
  saved.value = { ...saved.value, [run.arm]: run };
  const next = (saving[run.arm] ?? Promise.resolve()).catch(() => {}).then(() => persist(studio, run));
  saving[run.arm] = next;
  return next;
}

/** A kept run's own settings: a resumed run uses them, whatever the form says now. */
function describeRun(r: SavedRun): string {
  const c = r.config;
  const method = c.method === 'full' ? 'full fine-tuning' : `LoRA r ${c.lora?.r}, alpha ${c.lora?.alpha}`;
  return `${r.examples.length} rows, ${method}, lr ${c.lr}, ${c.epochs} epoch${c.epochs === 1 ? '' : 's'} × batch ${c.batchSize}, max length ${c.maxLength}`;
}

function NumberField({ label, value, step, min, onChange }: { label: string; value: number; step?: string; min?: string; onChange: (v: number) => void }) {
  return (
    <label>
      {label}
      <input type="number" value={value} step={step ?? 'any'} min={min ?? '0'} onInput={(e) => Number.isFinite(Number(e.currentTarget.value)) && onChange(Number(e.currentTarget.value))} />
    </label>
  );
}

/** The replay share the paper's code mixes by default. */
const PAPER_RATIO = 0.1;
/** Task rows the form trains on from the world's chat task, unless the demo's settings say otherwise. */
const TASK_EXAMPLES = 400;

export function TrainRun({ studio }: { studio: Studio }) {
  const [defaults, setDefaults] = useState<TrainConfig | null>(null);
  const [c, setC] = useState<TrainConfig | null>(null);
  const [ratio, setRatio] = useState(PAPER_RATIO);
  const [benignShare, setBenignShare] = useState(0);
  const [mixMode, setMixMode] = useState<MixMode>('on-top');
  const [taskExamples, setTaskExamples] = useState(TASK_EXAMPLES);
  const [source, setSource] = useState<'world' | 'own'>('world');
  const own = source === 'own' ? userDataset.value : null;
  const [jobs, setJobs] = useState<Partial<Record<Arm, Promise<JobId>>>>({});
  const ready = model.value.kind === 'ready';

  function startFromDemo(p: PresetInfo) {
    setC(p.train);
    setRatio(p.arms.find((a) => a.id === 'grsap')?.ratio ?? PAPER_RATIO);
    setMixMode(p.mixMode);
    setTaskExamples(p.taskExamples);
    setBenignShare(0);
  }

  function startFromPaper(d: TrainConfig) {
    setC(d);
    setRatio(PAPER_RATIO);
    setMixMode('on-top');
    setTaskExamples(TASK_EXAMPLES);
    setBenignShare(0);
  }

  // Where the form starts: the demo's settings (tuned for the embedded organism: the paper's learning
  // rate would barely move it in one epoch) for the embedded model (loaded, or the one the page is
  // loading), the paper's defaults for any other; a newly loaded model picks its start again.
  const m = model.value;
  const onEmbedded = m.kind === 'ready' ? m.embedded : studio.options.embedded && (m.kind === 'idle' || m.kind === 'loading');
  const [start, setStart] = useState<'demo' | 'paper'>(onEmbedded ? 'demo' : 'paper');
  useEffect(() => setStart(onEmbedded ? 'demo' : 'paper'), [onEmbedded]);
  const demoPreset = preset.value;
  const [fit, setFit] = useState<TrainingFit | null>(null);
  useEffect(() => {
    studio.engine.trainDefaults('lora').then((d) => {
      setDefaults(d);
      setC(d);
    });
  }, []);
  useEffect(() => {
    if (!defaults) return;
    if (start === 'demo' && demoPreset) startFromDemo(demoPreset);
    else if (start === 'paper') startFromPaper(defaults);
  }, [start, demoPreset, defaults]);
  // The memory of one step for these settings, against what this device says of itself.
  useEffect(() => {
    if (!c || !ready) return setFit(null);
    let current = true;
    studio.engine.trainingFit(c).then(
      (f) => current && setFit(f),
      () => current && setFit(null),
    );
    return () => {
      current = false;
    };
  }, [c, ready, model.value]);
  if (!c || !defaults) return <p class="hint">Reading the paper's defaults…</p>;
  const set = (patch: Partial<TrainConfig>) => setC({ ...c, ...patch });
  const setLora = (patch: Partial<TrainConfig['lora']>) => setC({ ...c, lora: { ...c.lora, ...patch } });

  async function examplesFor(arm: Arm): Promise<ChatExample[]> {
    const task = own ? userExamples(own, 'train') : await studio.engine.worldTask('chat', 'train', taskExamples);
    if (arm === 'plain') return task;
    const mix = await studio.engine.mixReplay({ task, replay: replaySet.value, settings: { ratio, mode: mixMode, benignShare, seed: c!.seed } });
    return mix.examples;
  }

  async function train(arm: Arm, resume: boolean) {
    const previous = saved.value[arm];
    const run: SavedRun = resume && previous ? previous : { arm, config: { method: c!.method, lora: c!.lora, epochs: c!.epochs, batchSize: c!.batchSize, maxLength: c!.maxLength, lr: c!.lr, warmupRatio: c!.warmupRatio, minLrRatio: c!.minLrRatio, seed: c!.seed, groupByLength: c!.groupByLength }, examples: await examplesFor(arm), record: null, checkpoint: null };
    await save(studio, run);
    setRun(arm, { status: 'running', line: 'Starting…', error: null, adapterId: null, points: resume ? (run.record?.losses ?? []) : [] });
    busy.value = `Training (${ARM_LABEL[arm]})`;
    let first: { step: number; tokens: number; ms: number } | null = null;
    const job = runJob<TrainEvent, TrainResult>(
      (listener) =>
        studio.engine.train(
          { train: run.examples, config: run.config, name: ARM_LABEL[arm], checkpointEvery: CHECKPOINT_EVERY, resume: resume && run.checkpoint && run.record ? { checkpoint: run.checkpoint, record: run.record } : undefined },
          listener,
        ),
      (p) => {
        const e = p.payload;
        if (e?.kind === 'point' && e.point.loss !== null) {
          const points = [...(runs.value[arm]?.points ?? []), [e.point.step, e.point.loss] as [number, number]];
          // Rate from this session's steps after the first (which includes compiling the kernels).
          const now = performance.now();
          first ??= { step: e.point.step, tokens: e.point.tokens, ms: now };
          const seconds = (now - first.ms) / 1000;
          const rate = e.point.step > first.step ? (e.point.step - first.step) / seconds : null;
          const tokensPerSec = e.point.step > first.step ? (e.point.tokens - first.tokens) / seconds : null;
          const speed = rate && tokensPerSec ? `, ${Math.round(tokensPerSec)} tokens/s (${rate.toFixed(2)} steps/s), about ${Math.ceil((e.point.totalSteps - e.point.step) / rate)} s left` : '';
          const pausing = runs.value[arm]?.status === 'pausing' ? 'Pausing after this step… ' : '';
          setRun(arm, { points, line: `${pausing}Step ${e.point.step} of ${e.point.totalSteps}, loss ${e.point.loss.toFixed(3)}${speed}` });
        } else if (e?.kind === 'record') {
          run.record = e.record;
        } else if (e?.kind === 'checkpoint') {
          run.checkpoint = e.bytes;
          run.record = e.record;
          void save(studio, run).catch((err: unknown) => setRun(arm, { error: err instanceof Error ? err.message : String(err) }));
        }
      },
    );
    setJobs((j) => ({ ...j, [arm]: job.id }));
    const end = await job.end;
    setJobs((j) => ({ ...j, [arm]: undefined }));
    busy.value = null;
    if (end.status === 'failed') return setRun(arm, { status: 'failed', error: end.error, line: '' });
    const result = end.result;
    if (result) run.record = result.record;
    await save(studio, run);
    const done = result?.record.status === 'done';
    setRun(arm, { status: done ? 'done' : 'paused', adapterId: result?.adapterId ?? null, line: done ? `Finished: ${result!.record.steps.total} steps.` : `Paused at step ${run.record?.steps.done ?? 0}; Resume continues from the last checkpoint.` });
  }

  async function exportAdapter(id: string) {
    const files = await studio.engine.exportAdapter(id);
    for (const [name, bytes] of Object.entries(files)) downloadFile(name, bytes);
  }

  /** The rows a run trains on (for GR-SAP, the task mixed with the replay set) as `messages` JSONL. */
  function exportData(run: SavedRun) {
    const lines = run.examples.map((e) => JSON.stringify({ messages: e.messages }));
    downloadFile(`grsap-${run.arm}-train.jsonl`, `${lines.join('\n')}\n`, 'application/jsonl');
  }

  async function exportTrl() {
    const kept = (['plain', 'grsap'] as Arm[]).flatMap((arm) => (saved.value[arm] ? [{ name: arm, config: saved.value[arm]!.config, examples: saved.value[arm]!.examples }] : []));
    downloadFile('grsap-trl-recipe.zip', await studio.engine.exportTrlRecipe(kept));
  }

  const series = (['plain', 'grsap'] as Arm[]).filter((a) => runs.value[a]?.points.length).map((a) => ({ label: ARM_LABEL[a], points: runs.value[a]!.points }));
  const anyRunning = Object.values(jobs).some(Boolean);

  return (
    <div>
      <h3>Your own training runs</h3>
      <p class="hint">
        Both runs train on the same N task rows (the first examples of the world's chat task, or your dataset's train split); GR-SAP adds the Replay step's set to them:{' '}
        {mixMode === 'on-top' ? 'r·N replay rows on top of the N task rows' : 'replay rows in place of r·N of the task rows'}.
      </p>
      <div class="form-grid" data-testid="train-form">
        <label title={`The demo's settings are its experiment preset's, chosen for the embedded organism${demoPreset ? ` (lr ${demoPreset.train.lr}, ${demoPreset.train.epochs} epochs)` : ''}; the paper's defaults${defaults ? ` (lr ${defaults.lr}, ${defaults.epochs} epoch${defaults.epochs === 1 ? '' : 's'})` : ''} suit real models.`}>
          Start from
          <select value={start} data-testid="train-start" onChange={(e) => setStart(e.currentTarget.value as 'demo' | 'paper')}>
            <option value="demo" disabled={!demoPreset}>the demo's settings</option>
            <option value="paper">the paper's defaults</option>
          </select>
        </label>
        <label>
          Method
          <select value={c.method} onChange={(e) => void studio.engine.trainDefaults(e.currentTarget.value as 'lora' | 'full').then((d) => setC({ ...d, seed: c.seed }))}>
            <option value="lora">LoRA</option>
            <option value="full">full fine-tuning</option>
          </select>
        </label>
        {c.method === 'lora' ? (
          <>
            <NumberField label="LoRA r" value={c.lora.r} step="1" min="1" onChange={(r) => setLora({ r })} />
            <NumberField label="LoRA alpha" value={c.lora.alpha} onChange={(alpha) => setLora({ alpha })} />
            <NumberField label="LoRA dropout" value={c.lora.dropout} step="0.01" onChange={(dropout) => setLora({ dropout })} />
            <label>
              Targets
              <input type="text" readOnly value={c.lora.targets.join(', ')} />
            </label>
          </>
        ) : null}
        <NumberField label="Learning rate" value={c.lr} onChange={(lr) => set({ lr })} />
        <NumberField label="Warm-up share" value={c.warmupRatio} step="0.05" onChange={(warmupRatio) => set({ warmupRatio })} />
        <NumberField label="Cosine floor (share of peak)" value={c.minLrRatio} step="0.05" onChange={(minLrRatio) => set({ minLrRatio })} />
        <NumberField label="Epochs" value={c.epochs} step="1" min="1" onChange={(epochs) => set({ epochs })} />
        <NumberField label="Batch size" value={c.batchSize} step="1" min="1" onChange={(batchSize) => set({ batchSize })} />
        <NumberField label="Max length (tokens)" value={c.maxLength} step="1" min="8" onChange={(maxLength) => set({ maxLength })} />
        <label>
          Task data
          <select value={own ? 'own' : 'world'} onChange={(e) => setSource(e.currentTarget.value as 'world' | 'own')}>
            <option value="world">the world's chat task</option>
            <option value="own" disabled={!userDataset.value}>
              {userDataset.value ? `your dataset: ${userDataset.value.name} (${userDataset.value.split.train.length} train)` : 'your dataset (add one in the Data step)'}
            </option>
          </select>
        </label>
        {own ? null : <NumberField label="Task examples" value={taskExamples} step="1" min="1" onChange={setTaskExamples} />}
        <NumberField label="Mixing ratio r" value={ratio} step="0.01" onChange={setRatio} />
        <NumberField label="Benign share" value={benignShare} step="0.05" onChange={setBenignShare} />
        <label title="On top: every task row is kept and r·N replay rows are added (more steps). Of the total: r of the N rows are replay, so fewer task rows are trained on (the paper's code default).">
          Replay rows
          <select value={mixMode} data-testid="train-mix-mode" onChange={(e) => setMixMode(e.currentTarget.value as MixMode)}>
            <option value="on-top">on top of the task rows</option>
            <option value="of-total">in place of task rows (r of the total)</option>
          </select>
        </label>
        <label title="Rows of similar length share a batch: less padding, so faster, but each batch then holds one kind of row (the few replay rows end up together), which trains worse.">
          <input type="checkbox" checked={c.groupByLength} onChange={(e) => set({ groupByLength: e.currentTarget.checked })} /> group rows by length (faster)
        </label>
      </div>
      {fit ? (
        <p class={fit.problem ? 'error' : 'hint'} data-testid="train-memory">
          {fit.problem ??
            `One step needs about ${formatBytes(fit.memory.total)} of GPU memory (weights ${formatBytes(fit.memory.weights)}, gradients and optimizer ${formatBytes(fit.memory.grads + fit.memory.optimizer)}, activations and logits ${formatBytes(fit.memory.activations + fit.memory.logits)}) with rows at the max length; the largest buffer, the logits, takes ${formatBytes(fit.logitsBytes)} of this GPU's ${formatBytes(fit.bufferLimit)} per buffer. Browsers do not tell a page how much memory the GPU has: a setup beyond it loses the device, and a reload continues from the last checkpoint.`}
        </p>
      ) : null}
      {(['plain', 'grsap'] as Arm[]).map((arm) => {
        const v = runs.value[arm];
        const canResume = v?.status === 'paused' && !!saved.value[arm]?.checkpoint;
        const needsReplay = arm === 'grsap' && !replaySet.value.length;
        return (
          <div class="row" key={arm} data-testid={`train-${arm}`}>
            <strong>{ARM_LABEL[arm]}</strong>
            <button type="button" disabled={!ready || anyRunning || busy.value !== null || needsReplay || !!fit?.problem} onClick={() => void train(arm, false)}>
              {v ? 'Train again from the start' : 'Train'}
            </button>
            <button type="button" disabled={!jobs[arm]} onClick={() => (setRun(arm, { status: 'pausing', line: 'Pausing after this step…' }), void jobs[arm]?.then((id) => studio.engine.cancel(id)))}>
              Pause (keeps a checkpoint)
            </button>
            <button type="button" disabled={!ready || anyRunning || busy.value !== null || !canResume} onClick={() => void train(arm, true)}>
              Resume
            </button>
            {v?.adapterId ? (
              <button type="button" onClick={() => void exportAdapter(v.adapterId!)}>
                Export adapter (PEFT)
              </button>
            ) : null}
            {saved.value[arm] ? (
              <button type="button" data-testid={`export-data-${arm}`} onClick={() => exportData(saved.value[arm]!)}>
                Export its data (JSONL)
              </button>
            ) : null}
            <span class="status" data-testid={`train-${arm}-status`} data-state={v?.status ?? 'idle'} aria-live="polite">
              {needsReplay && !v ? 'Build a replay set in the Replay step first.' : (v?.line ?? '')}
            </span>
            {v?.error ? <span class="error">{v.error}</span> : null}
            {saved.value[arm] ? <span class="hint">({describeRun(saved.value[arm]!)})</span> : null}
          </div>
        );
      })}
      {saved.value.plain || saved.value.grsap ? (
        <p class="row">
          <button type="button" data-testid="export-trl" disabled={!ready} onClick={() => void exportTrl()}>
            Export for TRL (zip)
          </button>
          <span class="hint">Each run's rows as <code>messages</code> JSONL and the same settings as <code>trl sft</code> commands, to continue on a GPU machine.</span>
        </p>
      ) : null}
      {series.length ? <LossChart series={series} /> : null}
    </div>
  );
}
