import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../src/model/half';
import {
  openCheckpoint,
  openSafetensors,
  openShardedSafetensors,
  writeSafetensors,
  type TensorToWrite,
} from '../../src/model/safetensors';
import { blobSource, bufferSource, type ByteSource } from '../../src/util/byte-source';
import { nodeFileSource } from '../../src/storage/node-file-source';
import { Rng } from '../../src/util/rng';

const f16 = (...bits: number[]) => Array.from(f16ToF32(Uint16Array.from(bits)));
const bf16 = (...bits: number[]) => Array.from(bf16ToF32(Uint16Array.from(bits)));
const toF16 = (...values: number[]) => Array.from(f32ToF16(Float32Array.from(values)));
const toBf16 = (...values: number[]) => Array.from(f32ToBf16(Float32Array.from(values)));

describe('f16 and bf16 conversions', () => {
  it('widens known f16 bit patterns exactly', () => {
    expect(f16(0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x3555)).toEqual([0, -0, 1, -2, 65504, 0.333251953125]);
    expect(Object.is(f16(0x8000)[0], -0)).toBe(true);
    expect(f16(0x0001, 0x03ff, 0x0400, 0x8001)).toEqual([2 ** -24, 1023 * 2 ** -24, 2 ** -14, -(2 ** -24)]); // subnormals
    expect(f16(0x7c00, 0xfc00)).toEqual([Infinity, -Infinity]);
    expect(f16(0x7e00, 0xfe01, 0x7c01).every(Number.isNaN)).toBe(true);
  });

  it('widens every one of the 65536 f16 patterns to the value its fields define', () => {
    const all = f16ToF32(Uint16Array.from({ length: 65536 }, (_, i) => i));
    for (let bits = 0; bits < 65536; bits++) {
      const sign = bits >> 15 ? -1 : 1;
      const exp = (bits >> 10) & 31;
      const frac = (bits & 1023) / 1024;
      const want = exp === 31 ? (frac ? NaN : sign * Infinity) : exp === 0 ? sign * frac * 2 ** -14 : sign * (1 + frac) * 2 ** (exp - 15);
      if (!Object.is(all[bits], want)) throw new Error(`f16 0x${bits.toString(16)}: got ${all[bits]}, want ${want}`);
    }
  });

  it('narrows to f16 with round-to-nearest-even, overflow to inf, underflow through subnormals', () => {
    // Every non-NaN f16 value survives f16 → f32 → f16 bit for bit.
    const patterns = Uint16Array.from({ length: 65536 }, (_, i) => i).filter((b) => (b & 0x7c00) !== 0x7c00 || (b & 0x3ff) === 0);
    expect(Array.from(f32ToF16(f16ToF32(patterns)))).toEqual(Array.from(patterns));
    expect(toF16(1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -11 + 2 ** -20)).toEqual([0x3c00, 0x3c02, 0x3c01]); // ties to even
    expect(toF16(65519, 65520, -1e6, 1e-8)).toEqual([0x7bff, 0x7c00, 0xfc00, 0x0000]);
    expect(toF16(2 ** -25, 1.5 * 2 ** -25, 3 * 2 ** -25, 2 ** -14 - 2 ** -25)).toEqual([0x0000, 0x0001, 0x0002, 0x0400]);
    expect(toF16(-0, Infinity, -Infinity)).toEqual([0x8000, 0x7c00, 0xfc00]);
    const nan = toF16(NaN)[0];
    expect((nan & 0x7c00) === 0x7c00 && (nan & 0x3ff) !== 0).toBe(true);
  });

  it('widens bf16 as the top half of an f32 and narrows with round-to-nearest-even', () => {
    expect(bf16(0x3f80, 0x4049, 0xc000, 0x8000, 0x0001)).toEqual([1, 3.140625, -2, -0, 2 ** -133]);
    expect(Object.is(bf16(0x8000)[0], -0)).toBe(true);
    expect(bf16(0x7f80, 0xff80)).toEqual([Infinity, -Infinity]);
    expect(Number.isNaN(bf16(0x7fc1)[0])).toBe(true);
    const patterns = Uint16Array.from({ length: 65536 }, (_, i) => i).filter((b) => (b & 0x7f80) !== 0x7f80 || (b & 0x7f) === 0);
    expect(Array.from(f32ToBf16(bf16ToF32(patterns)))).toEqual(Array.from(patterns));
    const f32 = (bits: number) => new Float32Array(Uint32Array.of(bits).buffer)[0];
    expect(toBf16(f32(0x3f808000), f32(0x3f818000), f32(0x3f808001), f32(0x7f7fffff))).toEqual([0x3f80, 0x3f82, 0x3f81, 0x7f80]);
    expect(toBf16(NaN)[0] & 0x7fc0).toBe(0x7fc0);
  });
});

const rng = new Rng(7);
const sample: Record<string, TensorToWrite> = {
  'model.embed_tokens.weight': { dtype: 'F32', shape: [5, 3], data: rng.normalArray(15) },
  'model.norm.weight': { dtype: 'F16', shape: [3], data: Float32Array.of(1, -0.5, 65504) },
  'lm_head.weight': { dtype: 'BF16', shape: [3, 1], data: Uint16Array.of(0x3f80, 0x8000, 0x7f80) },
  'odd.f16': { dtype: 'F16', shape: [1], data: Uint16Array.of(0x0001) },
  positions: { dtype: 'I64', shape: [2], data: BigInt64Array.of(-5n, 1n << 40n) },
  ids: { dtype: 'I32', shape: [2, 2], data: [1, -2, 3, 2 ** 31 - 1] },
  mask: { dtype: 'U8', shape: [3], data: [0, 1, 255] },
  empty: { dtype: 'F32', shape: [0, 4], data: [] },
  f64: { dtype: 'F64', shape: [1], data: [0.1] },
};

describe('safetensors writer and reader', () => {
  it('round-trips every dtype, shape and the metadata', async () => {
    const bytes = writeSafetensors(sample, { purpose: 'test' });
    const file = await openSafetensors(bytes, 'adapter.safetensors');
    expect([...file.names].sort()).toEqual(Object.keys(sample).sort());
    expect(file.metadata).toEqual({ format: 'pt', purpose: 'test' });
    expect(await file.readFloat32('model.embed_tokens.weight')).toEqual(sample['model.embed_tokens.weight'].data);
    expect(Array.from(await file.readFloat32('model.norm.weight'))).toEqual([1, -0.5, 65504]);
    expect(Array.from(await file.readFloat32('lm_head.weight'))).toEqual([1, -0, Infinity]);
    expect(Array.from(await file.readFloat32('odd.f16'))).toEqual([2 ** -24]);
    expect(Array.from(await file.read('positions') as BigInt64Array)).toEqual([-5n, 1n << 40n]);
    await expect(file.readInt32('positions')).rejects.toThrow(/adapter\.safetensors: tensor "positions" \(I64\) element 1 = 1099511627776 does not fit in i32/);
    expect(Array.from(await file.readInt32('ids'))).toEqual([1, -2, 3, 2 ** 31 - 1]);
    expect(Array.from(await file.readInt32('mask'))).toEqual([0, 1, 255]);
    expect(Array.from(await file.readFloat32('f64'))).toEqual([Math.fround(0.1)]);
    expect(await file.readFloat32('empty')).toEqual(new Float32Array(0));
    expect(file.info('ids')).toMatchObject({ dtype: 'I32', shape: [2, 2], byteLength: 16 });
    await expect(file.readFloat32('ids')).rejects.toThrow(/tensor "ids" is I32; only float and small integer dtypes convert to f32/);
    expect(() => file.info('nope')).toThrow(/adapter\.safetensors: has no tensor "nope"/);
  });

  it('reads a file held in a view into a larger buffer (a Node Buffer, a subarray)', async () => {
    const bytes = writeSafetensors(sample, {});
    const larger = new Uint8Array(bytes.length + 13);
    larger.set(bytes, 13);
    for (const view of [larger.subarray(13), Buffer.from(larger.buffer, 13, bytes.length)]) {
      const file = await openSafetensors(view, 'view.safetensors');
      expect(await file.readFloat32('model.embed_tokens.weight')).toEqual(sample['model.embed_tokens.weight'].data);
    }
  });

  it('writes an 8-aligned, space-padded header and aligns every tensor to its element size', () => {
    const bytes = writeSafetensors(sample);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    expect(headerText.trimEnd().endsWith('}')).toBe(true);
    expect(/^ *$/.test(headerText.slice(headerText.trimEnd().length))).toBe(true);
    const header = JSON.parse(headerText);
    const sizes: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, U8: 1 };
    for (const [name, entry] of Object.entries(header) as [string, { dtype: string; data_offsets: number[] }][]) {
      if (name === '__metadata__') continue;
      expect(entry.data_offsets[0] % sizes[entry.dtype], name).toBe(0);
    }
    expect(writeSafetensors(sample)).toEqual(bytes); // deterministic
  });

  it('reads a hand-built file with an unpadded header and an unaligned F32 tensor', async () => {
    const header = JSON.stringify({ b: { dtype: 'F32', shape: [2], data_offsets: [1, 9] }, a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } });
    const data = new Uint8Array([42, ...new Uint8Array(Float32Array.of(1.5, -3).buffer)]);
    const file = await openSafetensors(assemble(header, data));
    expect(Array.from(await file.readFloat32('b'))).toEqual([1.5, -3]);
    expect(Array.from(await file.read('a') as Uint8Array)).toEqual([42]);
  });

  it('reads the same tensors from an ArrayBuffer, a Blob and a Node file', async () => {
    const bytes = writeSafetensors(sample);
    const dir = tempDir();
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    const sources: ByteSource[] = [
      bufferSource(bytes.slice().buffer, 'model.safetensors'),
      blobSource(new Blob([bytes])),
      await nodeFileSource(join(dir, 'model.safetensors')),
    ];
    for (const source of sources) {
      const file = await openSafetensors(source);
      expect(await file.readFloat32('model.embed_tokens.weight')).toEqual(sample['model.embed_tokens.weight'].data);
      expect(Array.from(await file.readFloat32('lm_head.weight'))).toEqual([1, -0, Infinity]);
      await file.close();
    }
    await expect(sources[0].read(bytes.length - 2, 4)).rejects.toThrow(/model\.safetensors: cannot read 4 bytes at offset/);
  });

  it('returns memory the caller owns, not a view into the source', async () => {
    const bytes = writeSafetensors(sample);
    const file = await openSafetensors(bytes);
    const first = await file.readFloat32('model.embed_tokens.weight');
    first.fill(0);
    expect(await file.readFloat32('model.embed_tokens.weight')).toEqual(sample['model.embed_tokens.weight'].data);
  });

  it('refuses data that does not match shape or dtype', () => {
    expect(() => writeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: [1, 2, 3] } })).toThrow(/tensor "w" has shape \[2, 2\] \(4 elements\) but 3 values/);
    expect(() => writeSafetensors({ w: { dtype: 'U8', shape: [1], data: [256] } })).toThrow(/tensor "w" element 0 = 256 does not fit U8/);
    expect(() => writeSafetensors({ w: { dtype: 'I32', shape: [1], data: [0.5] } })).toThrow(/does not fit I32/);
    expect(() => writeSafetensors({ __metadata__: { dtype: 'F32', shape: [0], data: [] } })).toThrow(/reserved/);
  });
});

describe('safetensors header validation', () => {
  const ok = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  const data8 = new Uint8Array(8);
  it.each<[string, Uint8Array, RegExp]>([
    ['too short', new Uint8Array(5), /bad\.safetensors: is 5 bytes, too short/],
    ['huge header size', withLength(2 ** 40, 16), /header size 1099511627776 exceeds the 100000000-byte limit/],
    ['header past the end', withLength(1000, 64), /header size 1000 runs past the end of the 72-byte file/],
    ['not JSON', assemble('{"a": ', data8), /header is not valid JSON/],
    ['not an object', assemble('[1, 2]', data8), /header must be a JSON object/],
    ['bad UTF-8', assemble('', data8, new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d])), /header is not valid UTF-8/],
    ['unknown dtype', assemble(JSON.stringify({ w: { ...ok, dtype: 'F128' } }), data8), /tensor "w": unknown dtype "F128"/],
    ['bad shape', assemble(JSON.stringify({ w: { ...ok, shape: [2, -1] } }), data8), /tensor "w": shape must be a list of non-negative integers/],
    ['offsets out of range', assemble(JSON.stringify({ w: { ...ok, data_offsets: [4, 12] } }), data8), /tensor "w": data_offsets \[4, 12\] are outside the 8-byte data section/],
    ['reversed offsets', assemble(JSON.stringify({ w: { ...ok, data_offsets: [8, 0] } }), data8), /tensor "w": data_offsets \[8, 0\] are outside/],
    ['size mismatch', assemble(JSON.stringify({ w: { ...ok, shape: [3] } }), data8), /tensor "w": F32\[3\] needs 12 bytes but data_offsets \[0, 8\] span 8/],
    ['overlap', assemble(JSON.stringify({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F16', shape: [2], data_offsets: [2, 6] } }), data8), /tensors "a" \[0, 4\] and "b" \[2, 6\] overlap/],
    ['non-string metadata', assemble(JSON.stringify({ __metadata__: { n: 1 }, w: ok }), data8), /"__metadata__\.n" must be a string/],
  ])('%s', async (_, bytes, message) => {
    await expect(openSafetensors(bytes, 'bad.safetensors')).rejects.toThrow(message);
    await expect(openSafetensors(bytes, 'bad.safetensors')).rejects.toThrow(/^bad\.safetensors: /);
  });
});

describe('sharded checkpoints', () => {
  const shard1 = writeSafetensors({ 'model.embed_tokens.weight': sample['model.embed_tokens.weight'], 'model.norm.weight': sample['model.norm.weight'] });
  const shard2 = writeSafetensors({ 'lm_head.weight': sample['lm_head.weight'] });
  const index = {
    weight_map: {
      'model.embed_tokens.weight': 'model-00001-of-00002.safetensors',
      'model.norm.weight': 'model-00001-of-00002.safetensors',
      'lm_head.weight': 'model-00002-of-00002.safetensors',
    },
  };
  const files: Record<string, Uint8Array> = {
    'model.safetensors.index.json': new TextEncoder().encode(JSON.stringify(index)),
    'model-00001-of-00002.safetensors': shard1,
    'model-00002-of-00002.safetensors': shard2,
  };
  const openFile = async (name: string) => (files[name] ? bufferSource(files[name], name) : null);

  it('reads tensors across shards through the index', async () => {
    const reader = await openCheckpoint(openFile);
    expect([...reader.names].sort()).toEqual(['lm_head.weight', 'model.embed_tokens.weight', 'model.norm.weight']);
    expect(reader.info('lm_head.weight').file).toBe('model-00002-of-00002.safetensors');
    expect(Array.from(await reader.readFloat32('lm_head.weight'))).toEqual([1, -0, Infinity]);
    expect(Array.from(await reader.readFloat32('model.norm.weight'))).toEqual([1, -0.5, 65504]);
    expect(() => reader.info('x')).toThrow(/model\.safetensors\.index\.json: has no tensor "x" in its weight_map/);
  });

  it('falls back to a single model.safetensors, and says when neither exists', async () => {
    const single = await openCheckpoint(async (name) => (name === 'model.safetensors' ? bufferSource(shard2, name) : null));
    expect(single.names).toEqual(['lm_head.weight']);
    await expect(openCheckpoint(async () => null)).rejects.toThrow(/model\.safetensors: missing, and there is no model\.safetensors\.index\.json/);
  });

  it('refuses an index that points at a missing tensor, a missing shard, or outside the folder', async () => {
    const open = (map: Record<string, string>) => openShardedSafetensors({ weight_map: map }, async (name) => {
      const source = await openFile(name);
      if (!source) throw new Error(`${name}: not found`);
      return source;
    });
    await expect(open({ 'lm_head.weight': 'model-00001-of-00002.safetensors' })).rejects.toThrow(/weight_map puts "lm_head\.weight" in model-00001-of-00002\.safetensors, but that shard has no such tensor/);
    await expect(open({ w: 'model-00003-of-00003.safetensors' })).rejects.toThrow(/model-00003-of-00003\.safetensors: not found/);
    await expect(open({ w: '../secrets.safetensors' })).rejects.toThrow(/weight_map\["w"\] must be a shard file name/);
    await expect(openShardedSafetensors({ nope: 1 }, openFile as never)).rejects.toThrow(/"weight_map" must be an object/);
  });
});

/** u64 header length + header text (or raw header bytes) + data section. */
function assemble(header: string, data: Uint8Array, rawHeader?: Uint8Array): Uint8Array {
  const text = rawHeader ?? new TextEncoder().encode(header);
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

function withLength(headerLength: number, totalSize: number): Uint8Array {
  const out = new Uint8Array(8 + totalSize);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  return out;
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'safetensors-test-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
