// Reader and writer for the safetensors format (https://huggingface.co/docs/safetensors):
//   [u64 little-endian N] [N bytes of JSON header, may end in spaces] [data section]
// The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]} (offsets relative
// to the start of the data section) and may hold "__metadata__": {string: string}.
// Reads go through a ByteSource so multi-GB checkpoints never need one ArrayBuffer.

import { bufferSource, type ByteSource } from '../util/byte-source';
import { bf16ToF32, f16ToF32 } from './half';

const DTYPE_BYTES = {
  BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
} as const;
export type SafetensorsDType = keyof typeof DTYPE_BYTES;

/** Largest header accepted; the reference implementation uses the same bound. */
const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  name: string; // 'model.layers.0.self_attn.q_proj.weight'
  dtype: SafetensorsDType; // 'BF16'
  shape: number[]; // [576, 576], Hugging Face's [out, in] for linears
  file: string; // the file holding it, named in errors
  byteOffset: number; // absolute offset of the first byte in `file`
  byteLength: number; // elements × dtype size
}

/** Raw tensor contents: F16/BF16 come as their Uint16Array bit patterns, BOOL as Uint8Array. */
export type TensorArray =
  | Float32Array | Float64Array | Uint16Array | Int16Array | Int8Array | Uint8Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

export class SafetensorsError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

/** What the model loader needs from one file or a sharded checkpoint. */
export interface TensorReader {
  readonly names: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  has(name: string): boolean;
  info(name: string): TensorInfo;
  /** Contents in the stored dtype, in memory owned by the caller. */
  read(name: string): Promise<TensorArray>;
  /** Contents as f32: exact for F32, F16, BF16 (and integer dtypes up to 16 bits); F64 is rounded. */
  readFloat32(name: string): Promise<Float32Array>;
  /** Contents as i32 for integer and BOOL dtypes; fails on values outside the i32 range. */
  readInt32(name: string): Promise<Int32Array>;
  close(): Promise<void>;
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

// ---------------------------------------------------------------------------------------------
// Reading one file.

export async function openSafetensors(input: ByteSource | ArrayBuffer | Uint8Array, name?: string): Promise<SafetensorsFile> {
  const source = input instanceof ArrayBuffer || input instanceof Uint8Array ? bufferSource(input, name ?? 'model.safetensors') : input;
  const file = name ?? source.name;
  if (source.size < 8) throw new SafetensorsError(file, `is ${source.size} bytes, too short for a safetensors header.`);
  const sizeBytes = await source.read(0, 8);
  const view = new DataView(sizeBytes.buffer, sizeBytes.byteOffset, 8);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > MAX_HEADER_BYTES) {
    throw new SafetensorsError(file, `header size ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?).`);
  }
  if (8 + headerLength > source.size) {
    throw new SafetensorsError(file, `header size ${headerLength} runs past the end of the ${source.size}-byte file (truncated download?).`);
  }
  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(await source.read(8, headerLength));
  } catch {
    throw new SafetensorsError(file, 'header is not valid UTF-8.');
  }
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (e) {
    throw new SafetensorsError(file, `header is not valid JSON (${(e as Error).message}).`);
  }
  const dataStart = 8 + headerLength;
  return new SafetensorsFile(source, file, parseHeader(header, file, dataStart, source.size - dataStart));
}

interface ParsedHeader {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
}

function parseHeader(header: unknown, file: string, dataStart: number, dataSize: number): ParsedHeader {
  const fail = (message: string): never => {
    throw new SafetensorsError(file, message);
  };
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header must be a JSON object.');
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, TensorInfo>();
  const ranges: { name: string; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail('"__metadata__" must be an object of strings.');
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`"__metadata__.${k}" must be a string, got ${JSON.stringify(v)}.`);
        metadata[k] = v as string;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) fail(`tensor "${name}": entry must be an object.`);
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) {
      fail(`tensor "${name}": unknown dtype ${JSON.stringify(e.dtype)}; known: ${Object.keys(DTYPE_BYTES).join(', ')}.`);
    }
    const dtype = e.dtype as SafetensorsDType;
    const shape = e.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      fail(`tensor "${name}": shape must be a list of non-negative integers, got ${JSON.stringify(shape)}.`);
    }
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || o < 0)) {
      fail(`tensor "${name}": data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}.`);
    }
    const [begin, end] = offsets as number[];
    if (begin > end || end > dataSize) {
      fail(`tensor "${name}": data_offsets [${begin}, ${end}] are outside the ${dataSize}-byte data section.`);
    }
    const byteLength = elementCount(shape as number[]) * DTYPE_BYTES[dtype];
    if (end - begin !== byteLength) {
      fail(`tensor "${name}": ${dtype}[${(shape as number[]).join(', ')}] needs ${byteLength} bytes but data_offsets [${begin}, ${end}] span ${end - begin}.`);
    }
    tensors.set(name, { name, dtype, shape: [...(shape as number[])], file, byteOffset: dataStart + begin, byteLength });
    if (byteLength > 0) ranges.push({ name, begin, end });
  }
  ranges.sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < ranges.length; i++) {
    const [prev, cur] = [ranges[i - 1], ranges[i]];
    if (cur.begin < prev.end) {
      fail(`tensors "${prev.name}" [${prev.begin}, ${prev.end}] and "${cur.name}" [${cur.begin}, ${cur.end}] overlap.`);
    }
  }
  return { tensors, metadata };
}

export class SafetensorsFile implements TensorReader {
  readonly names: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  private readonly tensors: Map<string, TensorInfo>;

  constructor(private readonly source: ByteSource, readonly file: string, parsed: ParsedHeader) {
    this.tensors = parsed.tensors;
    this.metadata = parsed.metadata;
    this.names = [...parsed.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new SafetensorsError(this.file, `has no tensor "${name}" (it holds ${this.names.length} tensors).`);
    return info;
  }

  async read(name: string): Promise<TensorArray> {
    const info = this.info(name);
    let bytes = await this.source.read(info.byteOffset, info.byteLength);
    // Own the memory (in-memory sources return views) and get an offset of 0, which typed arrays
    // need for alignment. A copy by construction: Node's Buffer.slice would return another view.
    if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) bytes = new Uint8Array(bytes);
    return typedView(info.dtype, bytes.buffer as ArrayBuffer);
  }

  async readFloat32(name: string): Promise<Float32Array> {
    return toFloat32(this.info(name), await this.read(name));
  }

  async readInt32(name: string): Promise<Int32Array> {
    return toInt32(this.info(name), await this.read(name));
  }

  async close(): Promise<void> {
    await this.source.close?.();
  }
}

function typedView(dtype: SafetensorsDType, buffer: ArrayBuffer): TensorArray {
  switch (dtype) {
    case 'F32': return new Float32Array(buffer);
    case 'F64': return new Float64Array(buffer);
    case 'F16': case 'BF16': case 'U16': return new Uint16Array(buffer);
    case 'I16': return new Int16Array(buffer);
    case 'I8': return new Int8Array(buffer);
    case 'U8': case 'BOOL': case 'F8_E4M3': case 'F8_E5M2': return new Uint8Array(buffer);
    case 'I32': return new Int32Array(buffer);
    case 'U32': return new Uint32Array(buffer);
    case 'I64': return new BigInt64Array(buffer);
    case 'U64': return new BigUint64Array(buffer);
  }
}

function toFloat32(info: TensorInfo, data: TensorArray): Float32Array {
  switch (info.dtype) {
    case 'F32': return data as Float32Array;
    case 'F16': return f16ToF32(data as Uint16Array);
    case 'BF16': return bf16ToF32(data as Uint16Array);
    case 'F64': case 'I16': case 'U16': case 'I8': case 'U8': case 'BOOL':
      return Float32Array.from(data as ArrayLike<number>);
    default:
      throw new SafetensorsError(info.file, `tensor "${info.name}" is ${info.dtype}; only float and small integer dtypes convert to f32.`);
  }
}

function toInt32(info: TensorInfo, data: TensorArray): Int32Array {
  switch (info.dtype) {
    case 'I32': return data as Int32Array;
    case 'I8': case 'U8': case 'I16': case 'U16': case 'BOOL': return Int32Array.from(data as ArrayLike<number>);
    case 'U32': case 'I64': case 'U64': {
      const out = new Int32Array(data.length);
      for (let i = 0; i < data.length; i++) {
        const v = Number(data[i]);
        if (v < -(2 ** 31) || v >= 2 ** 31) {
          throw new SafetensorsError(info.file, `tensor "${info.name}" (${info.dtype}) element ${i} = ${data[i]} does not fit in i32.`);
        }
        out[i] = v;
      }
      return out;
    }
    default:
      throw new SafetensorsError(info.file, `tensor "${info.name}" is ${info.dtype}, not an integer dtype.`);
  }
}

// ---------------------------------------------------------------------------------------------
// Sharded checkpoints: model.safetensors.index.json maps each tensor to its shard file.

export const INDEX_FILE = 'model.safetensors.index.json';

/** `openShard(fileName)` gives the ByteSource of a shard named in the index's weight_map. */
export async function openShardedSafetensors(
  index: unknown,
  openShard: (fileName: string) => Promise<ByteSource>,
  indexName = INDEX_FILE,
): Promise<ShardedSafetensors> {
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new SafetensorsError(indexName, '"weight_map" must be an object mapping tensor names to shard files.');
  }
  const shardOf = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(weightMap as Record<string, unknown>)) {
    // Shard names are handed to file-opening code: refuse paths that leave the checkpoint folder.
    if (typeof shard !== 'string' || shard === '' || shard.includes('..') || shard.startsWith('/') || shard.includes('\\')) {
      throw new SafetensorsError(indexName, `weight_map["${tensor}"] must be a shard file name, got ${JSON.stringify(shard)}.`);
    }
    shardOf.set(tensor, shard);
  }
  const shards = new Map<string, SafetensorsFile>();
  try {
    for (const shard of new Set(shardOf.values())) shards.set(shard, await openSafetensors(await openShard(shard), shard));
    for (const [tensor, shard] of shardOf) {
      if (!shards.get(shard)!.has(tensor)) {
        throw new SafetensorsError(indexName, `weight_map puts "${tensor}" in ${shard}, but that shard has no such tensor.`);
      }
    }
  } catch (e) {
    await Promise.all([...shards.values()].map((s) => s.close()));
    throw e;
  }
  return new ShardedSafetensors(shardOf, shards, indexName);
}

export class ShardedSafetensors implements TensorReader {
  readonly names: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;

  constructor(
    private readonly shardOf: Map<string, string>,
    private readonly shards: Map<string, SafetensorsFile>,
    readonly indexName: string,
  ) {
    this.names = [...shardOf.keys()];
    this.metadata = shards.values().next().value?.metadata ?? {};
  }

  private shard(name: string): SafetensorsFile {
    const shard = this.shardOf.get(name);
    if (shard === undefined) throw new SafetensorsError(this.indexName, `has no tensor "${name}" in its weight_map.`);
    return this.shards.get(shard)!;
  }

  has(name: string): boolean {
    return this.shardOf.has(name);
  }
  info(name: string): TensorInfo {
    return this.shard(name).info(name);
  }
  read(name: string): Promise<TensorArray> {
    return this.shard(name).read(name);
  }
  readFloat32(name: string): Promise<Float32Array> {
    return this.shard(name).readFloat32(name);
  }
  readInt32(name: string): Promise<Int32Array> {
    return this.shard(name).readInt32(name);
  }
  async close(): Promise<void> {
    await Promise.all([...this.shards.values()].map((s) => s.close()));
  }
}

/**
 * Open a checkpoint folder through `openFile(name)`, which resolves to null for a missing file:
 * the sharded index when present, else `model.safetensors`.
 */
export async function openCheckpoint(openFile: (fileName: string) => Promise<ByteSource | null>): Promise<TensorReader> {
  const indexSource = await openFile(INDEX_FILE);
  if (indexSource) {
    let index: unknown;
    try {
      index = JSON.parse(new TextDecoder().decode(await indexSource.read(0, indexSource.size)));
    } catch (e) {
      throw new SafetensorsError(INDEX_FILE, `is not valid JSON (${(e as Error).message}).`);
    } finally {
      await indexSource.close?.();
    }
    return openShardedSafetensors(index, async (shard) => {
      const source = await openFile(shard);
      if (!source) throw new SafetensorsError(INDEX_FILE, `names shard ${shard}, which is missing.`);
      return source;
    });
  }
  const single = await openFile('model.safetensors');
  if (!single) throw new SafetensorsError('model.safetensors', `missing, and there is no ${INDEX_FILE} either.`);
  return openSafetensors(single);
}

export * from './safetensors-writer';
