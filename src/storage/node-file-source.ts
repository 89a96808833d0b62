// ByteSource over a file on disk, for Node (tests, CLI). Browser code must not import this module.

import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { checkRange, type ByteSource } from '../util/byte-source';

/** Opens `path` for random-access reads; call close() when done. */
export async function nodeFileSource(path: string): Promise<ByteSource> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  const name = basename(path);
  const source: ByteSource = {
    size,
    name,
    async read(offset, length) {
      checkRange(source, offset, length);
      const out = new Uint8Array(length);
      let done = 0;
      // read() may return fewer bytes than asked; loop until the range is filled.
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, offset + done);
        if (bytesRead === 0) throw new RangeError(`${name}: file ended at ${offset + done} while reading ${length} bytes at ${offset}.`);
        done += bytesRead;
      }
      return out;
    },
    close: () => handle.close(),
  };
  return source;
}
