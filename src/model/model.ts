// The Llama-family causal LM on the GPU: embedding → L decoder layers → final norm → lm_head.
// Training forward keeps activations; backward accumulates into a ModelGrads.
// Shapes: B batch, T time, N = B·T, C hidden, V vocab, D head size.

import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { embeddingBackward, embeddingForward } from '../ops/embedding';
import { linearBackward, linearForward } from '../ops/linear';
import { rmsnormBackward, rmsnormForward } from '../ops/rmsnorm';
import { ropeInvFreq } from '../ops/rope';
import type { ModelConfig } from './config';
import { layerBackward, layerForward, releaseSaved, type LayerGrads, type LayerSaved, type OutputRows, type StepContext } from './layer';
import type { LoraBranch } from './linear';
import type { LoraAdapter } from './lora';
import { destroyWeights, LINEAR_NAMES, type DecoderWeights, type LinearName } from './weights';

/** Token ids and masks of one batch on the GPU. */
export interface ModelInputs {
  B: number;
  T: number;
  ids: Tensor; // (B,T) u32
  positions: Tensor; // (B,T) u32
  keyRange: Tensor | null; // (B,2) u32 valid keys [first, end); or (B,T,2) each token's sequence [first, end) when sequences are packed into a row; null when no row is padded
  dropoutRows?: Tensor | null; // (B·T) u32: the row each token's LoRA dropout draws for (a padding-free batch: its row in the padded batch); absent: its own
}

export interface ModelGrads {
  embed?: Tensor; // (V,C); with tied embeddings it also receives lm_head's gradient
  layers: LayerGrads[];
  norm?: Tensor; // (C)
  lmHead?: Tensor; // (V,C), untied only
}

/** Keys and values of earlier tokens, per layer, for generation. */
export interface KvCache {
  k: Tensor[]; // per layer (B,S,KV,D); S the capacity
  v: Tensor[];
  past: number; // rows already filled; a forward appends its T tokens after them
}

export interface ForwardOptions {
  keep: boolean; // keep activations for backward
  dropoutSeed?: number; // LoRA dropout seed of this step (training)
  training?: boolean; // apply LoRA dropout (default: same as keep)
  cache?: KvCache; // generation: attend to the cache (inputs.keyRange in cache rows) and extend it
  ropeOffset?: number; // added to inputs.positions (generation reuses one positions tensor)
  outputRows?: OutputRows; // only these rows' outputs are read (a training step's learned positions): the last layer's tail and the final norm run on them alone, and xL, xf are (P,C)
}

export interface ForwardState {
  inputs: ModelInputs;
  options: ForwardOptions;
  layerInputs: Tensor[]; // (N,C) input of each layer (the embedding output first)
  saved: LayerSaved[];
  xL: Tensor; // (N,C) last layer output; (P,C) with options.outputRows
  xf: Tensor; // (N,C) after the final norm; (P,C) with options.outputRows
  rstdF: Tensor; // (N), or (P)
}

/**
 * What a fine-tune changes, attached to a model by its owner: a LoRA adapter over the base
 * weights, or a whole copy of the weights (full fine-tuning). The base weights never change, so
 * detaching gives back the untuned model.
 */
export type Adaptation = { kind: 'lora'; adapter: LoraAdapter } | { kind: 'full'; weights: DecoderWeights };

/** Dropout counter offsets: one per (layer, target) site so masks never repeat within a step. */
function dropoutOffset(layer: number, name: LinearName): number {
  return layer * LINEAR_NAMES.length + LINEAR_NAMES.indexOf(name);
}

export class DecoderModel {
  readonly invFreq: Tensor; // (D/2)
  private attached: Adaptation | null = null;

  constructor(
    readonly gpu: Gpu,
    readonly cfg: ModelConfig,
    readonly baseWeights: DecoderWeights, // as loaded; owned (destroyed) by the model
  ) {
    const inv = ropeInvFreq(cfg.headDim, cfg.ropeTheta, cfg.ropeScaling ?? undefined);
    this.invFreq = gpu.upload(inv, [inv.length], 'f32', 'rope.invFreq');
  }

  /** The weights forward and backward use: a fully fine-tuned copy when attached, else the base. */
  get weights(): DecoderWeights {
    return this.attached?.kind === 'full' ? this.attached.weights : this.baseWeights;
  }

  /** The attached LoRA adapter, if any. */
  get adapter(): LoraAdapter | null {
    return this.attached?.kind === 'lora' ? this.attached.adapter : null;
  }

  get attachment(): Adaptation | null {
    return this.attached;
  }

  /** Use `adaptation` from now on (replacing any other); its owner keeps it alive and frees it. */
  attach(adaptation: Adaptation): void {
    this.attached = adaptation;
  }

  /** Back to the base model. */
  detach(): void {
    this.attached = null;
  }

  /**
   * Upload a batch: ids (B,T), positions (B,T), and when some key is masked its key ranges: (B,2)
   * per row (padded rows), or with `packed` (B,T,2) per token (sequences packed into a row) and
   * the rows its LoRA dropout draws for (ModelInputs.dropoutRows).
   */
  uploadInputs(B: number, T: number, ids: ArrayLike<number>, positions: ArrayLike<number>, keyRanges: ArrayLike<number> | null, packed?: { dropoutRows: ArrayLike<number> }): ModelInputs {
    const gpu = this.gpu;
    const rangeShape = packed ? [B, T, 2] : [B, 2];
    return {
      B,
      T,
      ids: gpu.upload(ids, [B, T], 'u32', 'inputs.ids'),
      positions: gpu.upload(positions, [B, T], 'u32', 'inputs.positions'),
      keyRange: keyRanges ? gpu.upload(keyRanges, rangeShape, 'u32', 'inputs.keyRange') : null,
      dropoutRows: packed ? gpu.upload(packed.dropoutRows, [B * T], 'u32', 'inputs.dropoutRows') : null,
    };
  }

  private loraFor(layer: number, options: ForwardOptions, dropoutRows: Tensor | null): (name: LinearName, rows?: Tensor) => LoraBranch | null {
    const adapter = this.adapter;
    const training = options.training ?? options.keep;
    return (name, rows) => {
      const pair = adapter?.layers[layer]?.[name];
      if (!adapter || !pair) return null;
      return {
        pair,
        scale: adapter.scale,
        dropout: training ? adapter.config.dropout : 0,
        seed: options.dropoutSeed ?? 0,
        offset: dropoutOffset(layer, name),
        rows: rows ?? dropoutRows,
      };
    };
  }

  private context(inputs: ModelInputs, layer: number, options: ForwardOptions): StepContext {
    return {
      B: inputs.B,
      T: inputs.T,
      positions: inputs.positions,
      keyRange: inputs.keyRange,
      invFreq: this.invFreq,
      lora: this.loraFor(layer, options, inputs.dropoutRows ?? null),
      keep: options.keep,
      ropeOffset: options.ropeOffset ?? 0,
      cache: options.cache ? { k: options.cache.k[layer], v: options.cache.v[layer], past: options.cache.past } : null,
      outputRows: layer === this.cfg.nLayers - 1 ? (options.outputRows ?? null) : null,
    };
  }

  /** Embedding and every decoder layer: the last layer's output (N,C), or (P,C) with outputRows, and what backward needs. */
  private runLayers(inputs: ModelInputs, options: ForwardOptions): { x: Tensor; layerInputs: Tensor[]; saved: LayerSaved[] } {
    const { B, T } = inputs;
    const gpu = this.gpu;
    let x = embeddingForward(gpu, inputs.ids, this.weights.embed).view([B * T, this.cfg.hidden]);
    const layerInputs: Tensor[] = [];
    const saved: LayerSaved[] = [];
    this.weights.layers.forEach((w, i) => {
      const { x2, saved: s } = layerForward(gpu, this.cfg, w, x, this.context(inputs, i, options));
      if (options.keep) {
        layerInputs.push(x);
        saved.push(s!);
      } else x.destroy();
      x = x2;
    });
    return { x, layerInputs, saved };
  }

  /** Hidden states after the final norm, (N,C); with options.outputRows those rows only, (P,C). */
  forwardHidden(inputs: ModelInputs, options: ForwardOptions): ForwardState {
    const { x, layerInputs, saved } = this.runLayers(inputs, options);
    const { y: xf, rstd: rstdF } = rmsnormForward(this.gpu, x, this.weights.norm, this.cfg.rmsNormEps);
    return { inputs, options, layerInputs, saved, xL: x, xf, rstdF };
  }

  /** The last decoder layer's output (N,C), nothing kept: generation picks rows of it for logitsOf. */
  decoderOutput(inputs: ModelInputs, options: Omit<ForwardOptions, 'keep'>): Tensor {
    return this.runLayers(inputs, { ...options, keep: false }).x;
  }

  /** Logits (N,V) from final hidden states (N,C). */
  logits(xf: Tensor): Tensor {
    return linearForward(this.gpu, xf, this.weights.lmHead);
  }

  /** Logits (N,V) of decoder outputs (N,C): the final norm, then lm_head. */
  logitsOf(x: Tensor): Tensor {
    const { y: xf, rstd } = rmsnormForward(this.gpu, x, this.weights.norm, this.cfg.rmsNormEps);
    rstd.destroy();
    const logits = this.logits(xf);
    xf.destroy();
    return logits;
  }

  /** Forward without keeping activations: logits (B·T, V). */
  forward(inputs: ModelInputs): Tensor {
    const state = this.forwardHidden(inputs, { keep: false });
    const logits = this.logits(state.xf);
    this.release(state);
    return logits;
  }

  /**
   * Backward from the logits of the learned positions through the whole model; accumulates into
   * `grads` and frees the activations in `state`. dlogits (P,V) belongs to the P rows `head.rows` of
   * the final hidden states, gathered in `head.xs` (P,C) (with outputRows: those rows, and xs is
   * state.xf itself); the other positions have no loss. dlogits is consumed (freed).
   */
  backward(state: ForwardState, dlogits: Tensor, grads: ModelGrads, head: { rows: Tensor; xs: Tensor }): void {
    const gpu = this.gpu;
    const { cfg, weights } = this;
    const { B, T } = state.inputs;
    const headGrad = cfg.tieWordEmbeddings ? grads.embed : grads.lmHead;
    const dxs = linearBackward(gpu, head.xs, weights.lmHead, dlogits, headGrad);
    dlogits.destroy();
    let dxf = dxs;
    if (!state.options.outputRows) {
      dxf = gpu.zeros(state.xf.shape, 'f32', 'dxf');
      embeddingBackward(gpu, head.rows, dxs, dxf); // scatter: each row once, into zeros
      dxs.destroy();
    } else if (head.rows !== state.options.outputRows.rows) {
      throw new Error('DecoderModel.backward: the forward kept outputRows other than the rows with a loss.');
    }
    let dx: Tensor | null = rmsnormBackward(gpu, state.xL, weights.norm, state.rstdF, dxf, grads.norm);
    dxf.destroy();
    for (let i = cfg.nLayers - 1; i >= 0; i--) {
      const ctx = this.context(state.inputs, i, state.options);
      // Frozen embeddings read no gradient: the first layer may skip its input's.
      const dx0: Tensor | null = layerBackward(gpu, cfg, weights.layers[i], state.saved[i], dx!, ctx, grads.layers[i], i > 0 || !!grads.embed);
      dx!.destroy();
      state.layerInputs[i].destroy(); // nothing below layer i reads its input again
      dx = dx0;
    }
    if (grads.embed) embeddingBackward(gpu, state.inputs.ids, dx!.view([B * T, cfg.hidden]), grads.embed);
    dx?.destroy();
    this.release(state);
  }

  /** Free the activations of a forward that will not be followed by backward. */
  release(state: ForwardState): void {
    for (const t of state.layerInputs) t.destroy();
    for (const s of state.saved) releaseSaved(s);
    state.layerInputs = [];
    state.saved = [];
    for (const t of [state.xL, state.xf, state.rstdF]) t.destroy();
  }

  /** Free the base weights; attached adaptations belong to their owners. */
  destroy(): void {
    this.attached = null;
    destroyWeights(this.cfg, this.baseWeights);
    this.invFreq.destroy();
  }
}

export function destroyInputs(inputs: ModelInputs): void {
  inputs.ids.destroy();
  inputs.positions.destroy();
  inputs.keyRange?.destroy();
  inputs.dropoutRows?.destroy();
}
