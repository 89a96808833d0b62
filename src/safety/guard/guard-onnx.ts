// The embedded guard as a standard ONNX text-classification graph (opset 17): inputs input_ids and
// attention_mask (int64, batch × sequence), output logits (float, batch × labels), the same
// computation as guardForward in guard-model.ts on a right-padded batch. Built as protobuf messages
// with onnx-proto, and read back (guardWeightsFromOnnx) so a shipped file can be checked against
// the TypeScript forward.

import onnxProto from 'onnx-proto';
import { guardParameterShapes, type GuardConfig, type GuardWeights } from './guard-model';

const { onnx } = onnxProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

export const GUARD_OPSET = 17;
// Initializer names: the parameters keep the names of GuardWeights, prefixed.
const PARAMETER_INITIALIZERS = { embedding: 'guard.embedding', w1: 'guard.w1', b1: 'guard.b1', w2: 'guard.w2', b2: 'guard.b2' } as const;

function floatTensor(name: string, dims: number[], values: ArrayLike<number>): ITensorProto {
  const data = Float32Array.from(values);
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer) };
}

function int64Tensor(name: string, dims: number[], values: number[]): ITensorProto {
  const data = BigInt64Array.from(values.map(BigInt));
  return { name, dims, dataType: INT64, rawData: new Uint8Array(data.buffer) };
}

function node(opType: string, inputs: string[], outputs: string[], attributes: Record<string, number> = {}): INodeProto {
  const attribute = Object.entries(attributes).map(([name, i]) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i }));
  return { opType, input: inputs, output: outputs, name: `${opType}_${outputs[0]}`, attribute };
}

function tensorInput(name: string, elemType: number, dims: (string | number)[]) {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } };
}

/** The masked mean of the embeddings over one part: Σ_t E·m / max(Σ_t m, 1), (B,T,C) → (B,C). */
function maskedMean(mask: string, out: string): INodeProto[] {
  return [
    node('Unsqueeze', [mask, 'axes_2'], [`${out}.mask3`]),
    node('Mul', ['embedded', `${out}.mask3`], [`${out}.weighted`]),
    node('ReduceSum', [`${out}.weighted`, 'axes_1'], [`${out}.sum`], { keepdims: 0 }),
    node('ReduceSum', [mask, 'axes_1'], [`${out}.count`], { keepdims: 1 }),
    node('Max', [`${out}.count`, 'one'], [`${out}.denominator`]),
    node('Div', [`${out}.sum`, `${out}.denominator`], [out]),
  ];
}

/** Serialised model.onnx for the guard's weights (stored as f32). */
export function buildGuardOnnx(cfg: GuardConfig, weights: GuardWeights): Uint8Array {
  const shapes = guardParameterShapes(cfg);
  const initializer: ITensorProto[] = [
    ...Object.entries(PARAMETER_INITIALIZERS).map(([key, name]) => floatTensor(name, shapes[key as keyof GuardWeights], weights[key as keyof GuardWeights])),
    int64Tensor('separator_id', [], [cfg.separatorId]),
    floatTensor('zero', [], [0]),
    floatTensor('one', [], [1]),
    floatTensor('head_tokens', [], [cfg.headTokens]),
    int64Tensor('axis_1', [], [1]),
    int64Tensor('axes_1', [1], [1]),
    int64Tensor('axes_2', [1], [2]),
  ];
  const nodes: INodeProto[] = [
    node('Cast', ['attention_mask'], ['mask'], { to: FLOAT }),
    node('Gather', [PARAMETER_INITIALIZERS.embedding, 'input_ids'], ['embedded'], { axis: 0 }),
    // Segment split from input_ids alone: response = from the first separator on.
    node('Equal', ['input_ids', 'separator_id'], ['is_separator']),
    node('Cast', ['is_separator'], ['separator_indicator'], { to: FLOAT }),
    node('CumSum', ['separator_indicator', 'axis_1'], ['separators_so_far']),
    node('Greater', ['separators_so_far', 'zero'], ['after_separator']),
    node('Cast', ['after_separator'], ['after_separator_f'], { to: FLOAT }),
    node('Mul', ['after_separator_f', 'mask'], ['response_mask']),
    node('Sub', ['mask', 'response_mask'], ['request_mask']),
    node('CumSum', ['response_mask', 'axis_1'], ['response_position']),
    node('LessOrEqual', ['response_position', 'head_tokens'], ['in_head']),
    node('Cast', ['in_head'], ['in_head_f'], { to: FLOAT }),
    node('Mul', ['in_head_f', 'response_mask'], ['head_mask']),
    ...maskedMean('request_mask', 'request_pooled'),
    ...maskedMean('response_mask', 'response_pooled'),
    ...maskedMean('head_mask', 'head_pooled'),
    node('Concat', ['request_pooled', 'response_pooled', 'head_pooled'], ['features'], { axis: 1 }),
    node('Gemm', ['features', PARAMETER_INITIALIZERS.w1, PARAMETER_INITIALIZERS.b1], ['hidden_linear'], { transB: 1 }),
    node('Tanh', ['hidden_linear'], ['hidden']),
    node('Gemm', ['hidden', PARAMETER_INITIALIZERS.w2, PARAMETER_INITIALIZERS.b2], ['logits'], { transB: 1 }),
  ];
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    producerName: 'grsap-studio',
    producerVersion: '1',
    docString: 'GR-SAP Studio embedded guard: (request, response) → logits over id2label in config.json.',
    opsetImport: [{ domain: '', version: GUARD_OPSET }],
    graph: {
      name: 'grsap_guard',
      node: nodes,
      initializer,
      input: [tensorInput('input_ids', INT64, ['batch', 'sequence']), tensorInput('attention_mask', INT64, ['batch', 'sequence'])],
      output: [tensorInput('logits', FLOAT, ['batch', cfg.labels.length])],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** The guard's weights read back from a model.onnx written by buildGuardOnnx. */
export function guardWeightsFromOnnx(cfg: GuardConfig, bytes: Uint8Array): GuardWeights {
  const model = onnx.ModelProto.decode(bytes);
  const byName = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const shapes = guardParameterShapes(cfg);
  const read = (key: keyof GuardWeights): Float64Array => {
    const tensor = byName.get(PARAMETER_INITIALIZERS[key]);
    const dims = (tensor?.dims ?? []).map(Number);
    if (!tensor || tensor.dataType !== FLOAT || dims.join(',') !== shapes[key].join(',') || !tensor.rawData) {
      throw new Error(`model.onnx: initializer ${PARAMETER_INITIALIZERS[key]} is missing or not float32 [${shapes[key].join(', ')}]; this file was not written by the guard exporter with this config.json.`);
    }
    const raw = tensor.rawData;
    return Float64Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)));
  };
  return { embedding: read('embedding'), w1: read('w1'), b1: read('b1'), w2: read('w2'), b2: read('b2') };
}
