// The LoRA adapters an experiment run kept (units/<unit>/adapter/, PEFT layout): their files for a
// download, and an adapter loaded onto the session's model for chat, read through the same PEFT
// loader as an adapter folder the user opens.

import type { Gpu } from '../gpu/gpu';
import type { LoraAdapter } from '../model/lora';
import { FileListModelSource } from '../storage/model-source';
import { adapterPath, dec, readState, unitPath, type RunStore } from './experiment-store';
import type { LoadedModel } from './load-model';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, loadPeftAdapter } from './model-files';
import type { TrainingRecord } from './training-run';

/** The unit's adapter files by name; an error when the run kept none for it. */
export async function runAdapterFiles(store: RunStore, runId: string, unit: string): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  for (const name of [ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE]) {
    const bytes = await store.read(adapterPath(unit, name));
    if (!bytes) throw new Error(`Run ${runId} kept no adapter for ${unit} (${name} is missing); only finished LoRA units have one.`);
    files[name] = bytes;
  }
  return files;
}

export interface RunAdapterLoaded {
  adapter: LoraAdapter;
  name: string; // e.g. "GR-SAP · seed 0 (demo)"
  record: TrainingRecord;
}

/** The unit's adapter on `loaded`'s GPU; refused when the run was made with another model. */
export async function loadRunAdapter(gpu: Gpu, loaded: LoadedModel, store: RunStore, runId: string, unit: string): Promise<RunAdapterLoaded> {
  const state = await readState(store);
  if (state && state.model.fingerprint !== loaded.fingerprint) {
    throw new Error(`Run ${runId} was made with another model (${state.model.id}); load that model to use its adapters.`);
  }
  const files = await runAdapterFiles(store, runId, unit);
  const record = await store.read(unitPath(unit, 'train-run.json'));
  if (!record) throw new Error(`Run ${runId} kept no training record for ${unit}.`);
  const source = new FileListModelSource(Object.entries(files).map(([name, bytes]) => new File([bytes as Uint8Array<ArrayBuffer>], name)), { id: `run:${runId}/${unit}` });
  const adapter = await loadPeftAdapter(gpu, loaded.cfg, source);
  const u = state?.units[unit];
  const name = u ? `${state!.preset.arms.find((a) => a.id === u.arm)?.label ?? u.arm} · seed ${u.seed} (${runId})` : unit;
  return { adapter, name, record: JSON.parse(dec(record)) as TrainingRecord };
}
