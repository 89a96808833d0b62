// In-memory stand-ins for the browser storage APIs the cache uses, with the semantics that matter:
// OPFS directory and file handles (createWritable lands its data only at close(), abort() drops
// it; sync access handles write at once; move() is optional) and a Cache API whose put() stores
// nothing when the response body errors.

import type { CacheLike, CacheStorageLike, OpfsDirectoryHandle, OpfsFileHandle } from '../../../src/storage/cache-browser';

export interface FakeOpfsOptions {
  writable?: boolean; // createWritable (window and worker); default true
  sync?: boolean; // createSyncAccessHandle (worker only); default false
  move?: boolean; // FileSystemHandle.move; default true
}

interface FileNode {
  data: Uint8Array;
}

const notFound = (name: string) => new DOMException(`${name} not found`, 'NotFoundError');

function resized(data: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(data.subarray(0, Math.min(size, data.length)));
  return out;
}

function writeAt(data: Uint8Array, chunk: Uint8Array, at: number): Uint8Array {
  const out = at + chunk.length > data.length ? resized(data, at + chunk.length) : data;
  out.set(chunk, at);
  return out;
}

class FakeFileHandle implements OpfsFileHandle {
  readonly kind = 'file' as const;
  createWritable?: OpfsFileHandle['createWritable'];
  createSyncAccessHandle?: OpfsFileHandle['createSyncAccessHandle'];
  move?: OpfsFileHandle['move'];

  constructor(public name: string, private readonly dir: FakeDirectoryHandle, private readonly node: FileNode, options: FakeOpfsOptions) {
    const { writable = true, sync = false, move = true } = options;
    if (writable) this.createWritable = (o) => this.openWritable(o?.keepExistingData ?? false);
    if (sync) this.createSyncAccessHandle = async () => this.openSync();
    if (move) {
      this.move = async (newName: string) => {
        this.dir.rename(this.name, newName);
        this.name = newName;
      };
    }
  }

  async getFile(): Promise<File> {
    return new File([this.node.data.slice()], this.name);
  }

  private async openWritable(keep: boolean) {
    let swap: Uint8Array = keep ? this.node.data.slice() : new Uint8Array(0);
    let position = 0;
    const node = this.node;
    return {
      async write(chunk: Uint8Array) {
        swap = writeAt(swap, chunk, position);
        position += chunk.length;
      },
      async seek(p: number) {
        position = p;
      },
      async truncate(size: number) {
        swap = resized(swap, size);
        position = Math.min(position, size);
      },
      async close() {
        node.data = swap;
      },
      async abort() {},
    };
  }

  private openSync() {
    const node = this.node;
    return {
      write(chunk: Uint8Array, o: { at: number }) {
        node.data = writeAt(node.data, chunk, o.at);
        return chunk.length;
      },
      truncate(size: number) {
        node.data = resized(node.data, size);
      },
      getSize: () => node.data.length,
      flush() {},
      close() {},
    };
  }
}

export class FakeDirectoryHandle implements OpfsDirectoryHandle {
  readonly kind = 'directory' as const;
  readonly entries = new Map<string, FileNode | FakeDirectoryHandle>();

  constructor(readonly name: string, private readonly options: FakeOpfsOptions = {}) {}

  async getFileHandle(name: string, o: { create?: boolean } = {}): Promise<FakeFileHandle> {
    let node = this.entries.get(name);
    if (node instanceof FakeDirectoryHandle) throw new DOMException(`${name} is a directory`, 'TypeMismatchError');
    if (!node) {
      if (!o.create) throw notFound(name);
      this.entries.set(name, (node = { data: new Uint8Array(0) }));
    }
    return new FakeFileHandle(name, this, node, this.options);
  }

  async getDirectoryHandle(name: string, o: { create?: boolean } = {}): Promise<FakeDirectoryHandle> {
    let node = this.entries.get(name);
    if (node && !(node instanceof FakeDirectoryHandle)) throw new DOMException(`${name} is a file`, 'TypeMismatchError');
    if (!node) {
      if (!o.create) throw notFound(name);
      this.entries.set(name, (node = new FakeDirectoryHandle(name, this.options)));
    }
    return node;
  }

  async removeEntry(name: string, o: { recursive?: boolean } = {}): Promise<void> {
    const node = this.entries.get(name);
    if (!node) throw notFound(name);
    if (node instanceof FakeDirectoryHandle && node.entries.size > 0 && !o.recursive) {
      throw new DOMException(`${name} is not empty`, 'InvalidModificationError');
    }
    this.entries.delete(name);
  }

  rename(from: string, to: string): void {
    const node = this.entries.get(from);
    if (!node) throw notFound(from);
    this.entries.delete(from);
    this.entries.set(to, node);
  }

  async *values(): AsyncGenerator<FakeFileHandle | FakeDirectoryHandle> {
    for (const [name, node] of this.entries) {
      yield node instanceof FakeDirectoryHandle ? node : new FakeFileHandle(name, this, node, this.options);
    }
  }

  /** Names of every file below, as 'dir/sub/file', for assertions. */
  paths(prefix = ''): string[] {
    return [...this.entries].flatMap(([name, node]) => (node instanceof FakeDirectoryHandle ? node.paths(`${prefix}${name}/`) : [`${prefix}${name}`]));
  }
}

export class FakeCache implements CacheLike {
  readonly entries = new Map<string, Uint8Array>();

  async put(url: string, response: Response): Promise<void> {
    const bytes = new Uint8Array(await response.arrayBuffer()); // rejects if the body stream errors
    this.entries.set(url, bytes);
  }
  async match(url: string): Promise<Response | undefined> {
    const bytes = this.entries.get(url);
    return bytes ? new Response(bytes.slice()) : undefined;
  }
  async delete(url: string): Promise<boolean> {
    return this.entries.delete(url);
  }
  async keys(): Promise<{ url: string }[]> {
    return [...this.entries.keys()].map((url) => ({ url }));
  }
}

export class FakeCacheStorage implements CacheStorageLike {
  readonly caches = new Map<string, FakeCache>();
  async open(name: string): Promise<FakeCache> {
    let cache = this.caches.get(name);
    if (!cache) this.caches.set(name, (cache = new FakeCache()));
    return cache;
  }
}
