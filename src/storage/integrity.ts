// Checks a downloaded file must pass before the cache lists it as complete. Byte counts against
// Content-Length catch most cut connections; these catch the rest (no Content-Length, a server
// that lies about it) from the file's own structure:
//   safetensors: [u64 LE header size N][N bytes JSON][data]; the largest data_offsets end must
//                land exactly on the end of the file, as the reference reader demands.
//   JSON:        must parse (a truncated JSON file does not).

import type { ByteSource } from '../util/byte-source';
import { ModelSourceError } from './errors';

/** Same bound as the safetensors reference implementation. */
const MAX_HEADER_BYTES = 100_000_000;
/** JSON files above this are only size-checked: parsing a huge tokenizer twice is waste. */
const MAX_PARSED_JSON_BYTES = 64 * 2 ** 20;

function corrupt(file: string, message: string): ModelSourceError {
  return new ModelSourceError('integrity', `${file}: ${message}`, { file, retryable: true });
}

/** Throws unless the file is exactly as long as its safetensors header says. */
export async function checkSafetensorsSize(data: ByteSource, file = data.name): Promise<void> {
  if (data.size < 8) throw corrupt(file, `${data.size} bytes, too short for a safetensors header (truncated download?).`);
  const prefix = await data.read(0, 8);
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const headerBytes = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerBytes > MAX_HEADER_BYTES) throw corrupt(file, `header size ${headerBytes} is implausible (not a safetensors file?).`);
  if (8 + headerBytes > data.size) throw corrupt(file, `the ${headerBytes}-byte header runs past the end of the ${data.size}-byte file (truncated download?).`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(await data.read(8, headerBytes)));
  } catch {
    throw corrupt(file, 'the header is not valid JSON (corrupt download?).');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw corrupt(file, 'the header is not a JSON object.');
  let dataEnd = 0;
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const offsets = (entry as { data_offsets?: unknown } | null)?.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw corrupt(file, `tensor "${name}" has no valid data_offsets.`);
    }
    dataEnd = Math.max(dataEnd, offsets[1] as number);
  }
  const expected = 8 + headerBytes + dataEnd;
  if (expected !== data.size) {
    throw corrupt(file, `the header describes ${expected} bytes but the file has ${data.size} (${data.size < expected ? 'truncated' : 'trailing bytes'}; corrupt download?).`);
  }
}

export async function checkJsonParses(data: ByteSource, file = data.name): Promise<void> {
  if (data.size > MAX_PARSED_JSON_BYTES) return;
  try {
    JSON.parse(new TextDecoder().decode(await data.read(0, data.size)));
  } catch (e) {
    throw corrupt(file, `is not valid JSON (${(e as Error).message}); truncated download?`);
  }
}

/** The check for one downloaded file: its expected size when known, and its format's own check. */
export function verifierFor(file: string, expectedSize: number | undefined): (data: ByteSource) => Promise<void> {
  return async (data) => {
    if (expectedSize !== undefined && data.size !== expectedSize) {
      throw corrupt(file, `stored ${data.size} bytes, expected ${expectedSize}.`);
    }
    if (file.endsWith('.safetensors')) await checkSafetensorsSize(data, file);
    else if (file.endsWith('.json')) await checkJsonParses(data, file);
  };
}
