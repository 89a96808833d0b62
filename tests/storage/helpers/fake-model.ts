// A tiny Hugging Face model folder built by hand: config, tokenizer files and a valid safetensors
// file written byte by byte (8-byte little-endian header size, JSON header padded with spaces to a
// multiple of 8, then the tensor data), so the tests depend on no fixture and no network.

export interface TensorSpec {
  shape: number[];
  data: Float32Array; // row-major, shape's element count
}

/** A safetensors file of F32 tensors, laid out in the order given. */
export function makeSafetensors(tensors: Record<string, TensorSpec>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = t.data.byteLength;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // the format pads the header to 8 bytes
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/** Deterministic values (no RNG needed): tensor i, element j. */
function ramp(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  for (let j = 0; j < n; j++) a[j] = Math.sin(seed * 1000 + j * 0.37);
  return a;
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value, null, 1));

/**
 * Files of a fake model. `weightFloats` sets the size of the safetensors file (4 bytes each), big
 * enough that a download arrives in many chunks. `sharded` splits the weights in two shards
 * with a model.safetensors.index.json.
 */
export function fakeModelFiles(options: { weightFloats?: number; sharded?: boolean } = {}): Map<string, Uint8Array> {
  const n = options.weightFloats ?? 40_000;
  const files = new Map<string, Uint8Array>();
  files.set('config.json', encode({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 8, num_hidden_layers: 1, vocab_size: 16 }));
  files.set('tokenizer.json', encode({ version: '1.0', model: { type: 'BPE', vocab: { a: 0, b: 1 }, merges: [] } }));
  files.set('tokenizer_config.json', encode({ bos_token: '<s>', eos_token: '</s>' }));
  files.set('generation_config.json', encode({ do_sample: false }));
  const embed = { shape: [n / 8, 8], data: ramp(n, 1) };
  const norm = { shape: [8], data: ramp(8, 2) };
  if (options.sharded) {
    files.set('model-00001-of-00002.safetensors', makeSafetensors({ 'model.embed_tokens.weight': embed }));
    files.set('model-00002-of-00002.safetensors', makeSafetensors({ 'model.norm.weight': norm }));
    files.set('model.safetensors.index.json', encode({
      metadata: { total_size: (n + 8) * 4 },
      weight_map: { 'model.embed_tokens.weight': 'model-00001-of-00002.safetensors', 'model.norm.weight': 'model-00002-of-00002.safetensors' },
    }));
  } else {
    files.set('model.safetensors', makeSafetensors({ 'model.embed_tokens.weight': embed, 'model.norm.weight': norm }, { format: 'pt' }));
  }
  return files;
}
