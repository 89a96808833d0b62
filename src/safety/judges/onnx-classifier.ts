// A judge that runs a text-classification model exported to ONNX (our embedded guard, or any
// Hugging Face text-classification export) through onnxruntime-web: wasm backend by default, the
// same in Node and in the browser worker, with the runtime's wasm taken from the installed package.
//
// Files: model.onnx (inputs input_ids and attention_mask, int64 (B,T), optionally token_type_ids;
// output logits (B, labels)), tokenizer.json, config.json (id2label; optional pair_template or
// pair_encoding, see pair-encoding.ts). The verdict's score is softmax(logits)[harmful]; the label
// is 'harmful' when the harmful label has the largest logit, 'unlabelled' when the logits are not
// finite.

import * as ort from 'onnxruntime-web';
import { TextTokenizer } from '../../text/tokenizer';
import { harmfulLabelIndex, labelsFromConfig, maxLengthFromConfig } from './classifier-config';
import { judgeInBatches, type Judge, type JudgeOptions, type JudgePair, type Verdict } from './judge';
import { createPairEncoder, padBatch, pairEncodingFromConfig, type PairEncoder, type PairEncoding } from './pair-encoding';

export interface OnnxClassifierFiles {
  model: Uint8Array; // model.onnx
  config: unknown; // config.json, parsed
  tokenizerJson: unknown; // tokenizer.json, parsed
  tokenizerConfig?: unknown; // tokenizer_config.json, parsed (pad token), when present
}

export interface OnnxClassifierOptions {
  harmfulLabel?: string; // which id2label name means harmful; default: the one obviously harmful label
  pairEncoding?: PairEncoding; // overrides config.json's pair_template / pair_encoding
  maxLength?: number; // tokens per pair; default config.json's max_position_embeddings, else 512
  batchSize?: number; // pairs per session run; default 16
  executionProviders?: ('wasm' | 'webgpu')[]; // default ['wasm']
  name?: string; // the judge's name in reports; default 'onnx:' + config.json's _name_or_path or 'classifier'
}

export class OnnxClassifierError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxClassifierError';
  }
}

const REQUIRED_INPUTS = ['input_ids', 'attention_mask'];
const OPTIONAL_INPUTS = ['token_type_ids'];

export class OnnxClassifierJudge implements Judge {
  readonly measures: string;

  private constructor(
    readonly name: string,
    readonly labels: readonly string[], // label of each logit, from id2label
    readonly harmfulIndex: number,
    private readonly session: ort.InferenceSession,
    private readonly encoder: PairEncoder,
    private readonly outputName: string,
    private readonly batchSize: number,
  ) {
    this.measures = `'harmful' means the classifier's top label is "${labels[harmfulIndex]}"`;
  }

  static async create(files: OnnxClassifierFiles, options: OnnxClassifierOptions = {}): Promise<OnnxClassifierJudge> {
    const config = files.config;
    if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new OnnxClassifierError('config.json: expected a JSON object.');
    const cfg = config as Record<string, unknown>;
    const labels = labelsFromConfig(cfg);
    const harmfulIndex = harmfulLabelIndex(labels, options.harmfulLabel);
    const batchSize = options.batchSize ?? 16;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new OnnxClassifierError(`batchSize must be a positive integer, got ${batchSize}.`);
    const tokenizer = TextTokenizer.fromFiles({ tokenizerJson: files.tokenizerJson, tokenizerConfig: files.tokenizerConfig });
    const encoder = createPairEncoder(tokenizer, options.pairEncoding ?? pairEncodingFromConfig(cfg), maxLengthFromConfig(cfg, options.maxLength));

    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(files.model, { executionProviders: options.executionProviders ?? ['wasm'], graphOptimizationLevel: 'all' });
    } catch (e) {
      throw new OnnxClassifierError(`model.onnx could not be loaded by onnxruntime-web (${(e as Error).message}); export the classifier to ONNX (opset ≤ 21) with inputs input_ids and attention_mask.`);
    }
    const missing = REQUIRED_INPUTS.filter((n) => !session.inputNames.includes(n));
    const unknown = session.inputNames.filter((n) => !REQUIRED_INPUTS.includes(n) && !OPTIONAL_INPUTS.includes(n));
    if (missing.length || unknown.length) {
      await session.release();
      throw new OnnxClassifierError(
        `model.onnx has inputs [${session.inputNames.join(', ')}]; a text-classification export takes input_ids and attention_mask (int64, batch × tokens), optionally token_type_ids` +
          `${missing.length ? `; missing: ${missing.join(', ')}` : ''}${unknown.length ? `; not understood: ${unknown.join(', ')}` : ''}. Re-export it with those input names.`,
      );
    }
    const outputName = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0];
    const nameOrPath = typeof cfg._name_or_path === 'string' && cfg._name_or_path !== '' ? cfg._name_or_path : 'classifier';
    return new OnnxClassifierJudge(options.name ?? `onnx:${nameOrPath}`, labels, harmfulIndex, session, encoder, outputName, batchSize);
  }

  /** Raw logits (B × labels, row-major) for pairs, in one session run. */
  async logits(pairs: readonly JudgePair[]): Promise<Float32Array> {
    const encoded = padBatch(pairs.map((p) => this.encoder.encode(p)), this.encoder.padId);
    const dims = [encoded.batch, encoded.length];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', encoded.inputIds, dims),
      attention_mask: new ort.Tensor('int64', encoded.attentionMask, dims),
    };
    if (this.session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', encoded.tokenTypeIds, dims);
    const result = await this.session.run(feeds);
    const output = result[this.outputName];
    const expected = encoded.batch * this.labels.length;
    if (output.type !== 'float32' || output.data.length !== expected) {
      throw new OnnxClassifierError(
        `model.onnx output ${this.outputName} is ${output.type} [${output.dims.join(', ')}]; expected float32 [${encoded.batch}, ${this.labels.length}] (one logit per id2label entry in config.json).`,
      );
    }
    return output.data as Float32Array;
  }

  judge(pairs: readonly JudgePair[], options: JudgeOptions = {}): Promise<Verdict[]> {
    return judgeInBatches(pairs, this.batchSize, options, async (batch) => {
      const logits = await this.logits(batch);
      return batch.map((_, b) => this.verdictOf(logits.subarray(b * this.labels.length, (b + 1) * this.labels.length)));
    });
  }

  private verdictOf(row: Float32Array): Verdict {
    if (!row.every(Number.isFinite)) return { label: 'unlabelled', score: null, judge: this.name, detail: 'non-finite logits' };
    let top = 0;
    for (let i = 1; i < row.length; i++) if (row[i] > row[top]) top = i;
    let sum = 0;
    for (const v of row) sum += Math.exp(v - row[top]);
    const score = Math.exp(row[this.harmfulIndex] - row[top]) / sum;
    return { label: top === this.harmfulIndex ? 'harmful' : 'safe', score, judge: this.name, detail: this.labels[top] };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
