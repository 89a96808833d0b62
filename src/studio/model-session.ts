// The loaded model and the adapters trained on it (or loaded from a run) in the engine: listing,
// attaching, deleting and exporting them, and freeing their GPU memory with the model.

import type { AdapterInfo } from './api';
import type { LoadedModel } from './load-model';
import { trainedModelFiles } from './model-files';
import type { ModelSource } from '../storage/model-source';
import { destroyAdaptation, type Adaptation } from './training-config';
import type { TrainingRecord } from './training-run';

export interface Trained {
  id: string;
  name: string;
  adaptation: Adaptation;
  record: TrainingRecord;
}

export class ModelSession {
  readonly adapters = new Map<string, Trained>();

  constructor(
    readonly loaded: LoadedModel,
    readonly source: ModelSource,
  ) {}

  /** The model's config name (_name_or_path): it says whether this is the embedded world's model. */
  async modelName(): Promise<string | null> {
    const name = (await this.source.json<{ _name_or_path?: unknown }>('config.json'))._name_or_path;
    return typeof name === 'string' ? name : null;
  }

  list(): AdapterInfo[] {
    const attached = this.loaded.model.attachment;
    return [...this.adapters.values()].map((a) => ({ id: a.id, name: a.name, method: a.adaptation.kind, attached: a.adaptation === attached, record: a.record }));
  }

  adapter(id: string): Trained {
    const a = this.adapters.get(id);
    if (!a) throw new Error(`No adapter "${id}" on the loaded model; it may have been deleted or the model reloaded.`);
    return a;
  }

  /** Attaches an adapter, or none (null). Callers wait for running jobs first. */
  attach(id: string | null): void {
    if (id === null) this.loaded.model.detach();
    else this.loaded.model.attach(this.adapter(id).adaptation);
  }

  delete(id: string): void {
    destroyAdaptation(this.loaded.model, this.adapter(id).adaptation);
    this.adapters.delete(id);
  }

  /** The adapter as PEFT files (or, for full fine-tuning, a model folder's files). */
  async exportFiles(id: string): Promise<Map<string, Uint8Array>> {
    return trainedModelFiles(this.loaded, this.source, this.adapter(id).adaptation, { baseModel: this.loaded.id, dtype: 'F32' });
  }

  /** Frees every adapter and the model. */
  destroy(): void {
    for (const a of this.adapters.values()) destroyAdaptation(this.loaded.model, a.adaptation);
    this.adapters.clear();
    this.loaded.model.destroy();
  }
}
