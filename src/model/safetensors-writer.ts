// safetensors writer, for PEFT adapter export (adapter_model.safetensors) and Hugging Face model export.
// Layout choices, all allowed by the spec and matching the reference implementation:
//  - tensors ordered by element size (largest first), then by name, so that every tensor starts at
//    a multiple of its element size once the data section starts 8-aligned; output is deterministic;
//  - the JSON header is padded with spaces so the data section starts at a multiple of 8.

import { f32ToBf16, f32ToF16 } from './half';

const WRITABLE_BYTES = { F64: 8, I64: 8, F32: 4, I32: 4, U32: 4, F16: 2, BF16: 2, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1 } as const;
export type WritableDType = keyof typeof WRITABLE_BYTES;

/**
 * One tensor to write. `data` holds prod(shape) elements:
 * F32 Float32Array | number[]; F16 / BF16 Uint16Array of bit patterns, or Float32Array | number[]
 * rounded to nearest even; F64 Float64Array | number[]; I64 BigInt64Array, or Int32Array | number[]
 * (widened); other integer dtypes their own typed array or number[].
 */
export interface TensorToWrite {
  dtype: WritableDType;
  shape: readonly number[];
  data: ArrayLike<number> | BigInt64Array;
}

export interface PlannedTensor {
  name: string;
  dtype: WritableDType;
  shape: readonly number[];
  begin: number; // offset in the data section
  end: number;
}

/**
 * Header bytes (u64 length + padded JSON) and data-section offsets for tensors given by name,
 * dtype and shape: lets a caller stream a file too large for one buffer, tensor by tensor.
 * metadata defaults to {format: 'pt'}, which transformers checks when loading.
 */
export function planSafetensors(
  tensors: Record<string, Pick<TensorToWrite, 'dtype' | 'shape'>>,
  metadata: Record<string, string> = {},
): { header: Uint8Array<ArrayBuffer>; tensors: PlannedTensor[]; dataBytes: number } {
  const planned: PlannedTensor[] = [];
  const names = Object.keys(tensors).sort((a, b) => {
    const bySize = WRITABLE_BYTES[tensors[b].dtype] - WRITABLE_BYTES[tensors[a].dtype];
    return bySize !== 0 ? bySize : a < b ? -1 : a > b ? 1 : 0;
  });
  let offset = 0;
  const json: Record<string, unknown> = { __metadata__: { format: 'pt', ...metadata } };
  for (const name of names) {
    if (name === '__metadata__') throw new Error('writeSafetensors: "__metadata__" is reserved and cannot name a tensor.');
    const { dtype, shape } = tensors[name];
    if (!(dtype in WRITABLE_BYTES)) throw new Error(`writeSafetensors: tensor "${name}" has unsupported dtype ${dtype}.`);
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new Error(`writeSafetensors: tensor "${name}" has invalid shape [${shape.join(', ')}].`);
    }
    const bytes = shape.reduce((n, d) => n * d, 1) * WRITABLE_BYTES[dtype];
    planned.push({ name, dtype, shape, begin: offset, end: offset + bytes });
    json[name] = { dtype, shape: [...shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new Error(`writeSafetensors: metadata "${k}" must be a string, got ${JSON.stringify(v)}.`);
  }
  const text = new TextEncoder().encode(JSON.stringify(json));
  const padded = Math.ceil(text.length / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(text, 8);
  return { header, tensors: planned, dataBytes: offset };
}

/** Encode one tensor's data as the little-endian bytes of its dtype. */
export function encodeTensorData(name: string, tensor: TensorToWrite): Uint8Array {
  const { dtype, shape, data } = tensor;
  const count = shape.reduce((n, d) => n * d, 1);
  if (data.length !== count) {
    throw new Error(`writeSafetensors: tensor "${name}" has shape [${shape.join(', ')}] (${count} elements) but ${data.length} values.`);
  }
  const array = toDTypeArray(name, dtype, data);
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function toDTypeArray(name: string, dtype: WritableDType, data: ArrayLike<number> | BigInt64Array): ArrayBufferView {
  if (data instanceof BigInt64Array) {
    if (dtype !== 'I64') throw new Error(`writeSafetensors: tensor "${name}" is ${dtype} but its data is a BigInt64Array.`);
    return data;
  }
  switch (dtype) {
    case 'F32': return data instanceof Float32Array ? data : Float32Array.from(data);
    case 'F64': return data instanceof Float64Array ? data : Float64Array.from(data);
    case 'F16': return data instanceof Uint16Array ? data : f32ToF16(data instanceof Float32Array ? data : Float32Array.from(data));
    case 'BF16': return data instanceof Uint16Array ? data : f32ToBf16(data instanceof Float32Array ? data : Float32Array.from(data));
    case 'I64': return BigInt64Array.from(Array.from(data, (v) => BigInt(checkedInteger(name, v))));
    case 'I32': return data instanceof Int32Array ? data : integers(name, dtype, new Int32Array(data.length), data);
    case 'U32': return data instanceof Uint32Array ? data : integers(name, dtype, new Uint32Array(data.length), data);
    case 'I16': return data instanceof Int16Array ? data : integers(name, dtype, new Int16Array(data.length), data);
    case 'U16': return data instanceof Uint16Array ? data : integers(name, dtype, new Uint16Array(data.length), data);
    case 'I8': return data instanceof Int8Array ? data : integers(name, dtype, new Int8Array(data.length), data);
    case 'U8': case 'BOOL': return data instanceof Uint8Array ? data : integers(name, dtype, new Uint8Array(data.length), data);
  }
}

/** Copy into an integer typed array, refusing values that the dtype would wrap or truncate. */
function integers<A extends Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array>(
  name: string,
  dtype: WritableDType,
  out: A,
  data: ArrayLike<number>,
): A {
  for (let i = 0; i < data.length; i++) {
    out[i] = data[i];
    if (out[i] !== data[i]) throw new Error(`writeSafetensors: tensor "${name}" element ${i} = ${data[i]} does not fit ${dtype}.`);
  }
  return out;
}

function checkedInteger(name: string, v: number): number {
  if (!Number.isSafeInteger(v)) throw new Error(`writeSafetensors: tensor "${name}" holds ${v}, not an integer.`);
  return v;
}

/** A whole safetensors file in memory (adapters, small models). */
export function writeSafetensors(tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): Uint8Array<ArrayBuffer> {
  const plan = planSafetensors(tensors, metadata);
  const out = new Uint8Array(plan.header.length + plan.dataBytes);
  out.set(plan.header, 0);
  for (const t of plan.tensors) out.set(encodeTensorData(t.name, tensors[t.name]), plan.header.length + t.begin);
  return out;
}
