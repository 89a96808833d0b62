// Random-access bytes: a checkpoint of several GB need not sit in one ArrayBuffer (browsers cap an
// ArrayBuffer well below that), so readers ask for ranges. Node file paths live in
// node-file-source.ts so that the browser bundle never imports node:fs.

export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /** Name used in error messages, usually the file name. */
  readonly name: string;
  /** Bytes [offset, offset + length). Rejects a range outside [0, size). May return a view, not a copy. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Release the underlying handle (file descriptors); a no-op for in-memory sources. */
  close?(): Promise<void>;
}

export function checkRange(source: Pick<ByteSource, 'size' | 'name'>, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > source.size) {
    throw new RangeError(`${source.name}: cannot read ${length} bytes at offset ${offset}, the source has ${source.size} bytes.`);
  }
}

/** An in-memory source; reads return views into `data` without copying. */
export function bufferSource(data: ArrayBuffer | Uint8Array, name = 'buffer'): ByteSource {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const source: ByteSource = {
    size: bytes.byteLength,
    name,
    async read(offset, length) {
      checkRange(source, offset, length);
      return bytes.subarray(offset, offset + length);
    },
  };
  return source;
}

/** A browser Blob or File (also Node's Blob); reads slice it, so only the range is loaded. */
export function blobSource(blob: Blob, name?: string): ByteSource {
  const label = name ?? ('name' in blob && typeof blob.name === 'string' ? blob.name : 'blob');
  const source: ByteSource = {
    size: blob.size,
    name: label,
    async read(offset, length) {
      checkRange(source, offset, length);
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
  return source;
}
