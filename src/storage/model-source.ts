// Where a model's files come from: a URL (the Hub, the embedded demo model), local files picked in
// the browser, or a folder on disk in Node. Every source gives random access (ByteSource), so a
// multi-GB safetensors file is read tensor by tensor and never needs one ArrayBuffer.
//   url-source.ts    UrlModelSource, hubModelSource (HTTP, Range requests)
//   this file        the interface, the local sources, and which files make up a model

import { blobSource, type ByteSource } from '../util/byte-source';
import { ModelSourceError, checkFileName } from './errors';

export interface FileStat {
  size?: number; // bytes; undefined when the server does not say
  etag?: string; // the server's version tag, used to resume only onto the same file
}

/** A response body to stream into the cache, starting at byte `start` of the file. */
export interface StreamedFile {
  body: ReadableStream<Uint8Array>;
  start: number; // 0 when the server ignored the requested offset and sends the whole file
  size?: number; // size of the whole file, when known
  bodyLength?: number; // bytes the body promises (Content-Length), unless compressed in transit
  etag?: string;
}

export interface ModelSource {
  /** Stable key for caching and messages: 'hf:owner/repo@main', 'url:https://…/', 'folder:/models/x'. */
  readonly id: string;
  /** Branch, tag or commit for Hub sources. */
  readonly revision?: string;
  /** Every file the source holds, when it can enumerate them (a URL cannot, the Hub API can). */
  listFiles?(): Promise<string[]>;
  has(name: string): Promise<boolean>;
  /** Random access to one file; rejects with ModelSourceError('not-found') when it is missing. */
  open(name: string): Promise<ByteSource>;
  text(name: string): Promise<string>;
  json<T = unknown>(name: string): Promise<T>;
  /** Size and version without reading the contents; null when missing. */
  stat?(name: string): Promise<FileStat | null>;
  /** Sequential read from `offset` for downloads (HTTP sources); others are copied through open(). */
  stream?(name: string, options: { offset: number; signal?: AbortSignal }): Promise<StreamedFile>;
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the sources.

/** Text files larger than this are refused by text(): nothing a model ships as text comes close. */
const MAX_TEXT_BYTES = 512 * 2 ** 20;

export async function readWholeText(source: ByteSource): Promise<string> {
  if (source.size > MAX_TEXT_BYTES) {
    throw new ModelSourceError('invalid', `${source.name} is ${source.size} bytes, too large to read as text.`, { file: source.name });
  }
  try {
    return new TextDecoder().decode(await source.read(0, source.size));
  } finally {
    await source.close?.();
  }
}

export function parseJsonFile<T>(text: string, file: string, where: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ModelSourceError('integrity', `${file} from ${where} is not valid JSON (${(e as Error).message}).`, { file }, e);
  }
}

export function missingFile(file: string, where: string): ModelSourceError {
  return new ModelSourceError('not-found', `${file} was not found in ${where}.`, { file });
}

/** FNV-1a over a string: a short fingerprint for cache keys of local file sets. */
function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

// ---------------------------------------------------------------------------------------------
// Which files make up a model.

export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';
/** Needed besides the weights: the fast-tokenizer file is what `@huggingface/tokenizers` reads. */
export const REQUIRED_FILES = [CONFIG_FILE, 'tokenizer.json', 'tokenizer_config.json'] as const;
/** Taken when present. */
export const OPTIONAL_FILES = ['generation_config.json', 'special_tokens_map.json', 'chat_template.jinja'] as const;

/** Shard names in a model.safetensors.index.json, validated as file names, in first-seen order. */
export function shardsOfIndex(index: unknown, where: string): string[] {
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new ModelSourceError('integrity', `${WEIGHTS_INDEX_FILE} in ${where} has no "weight_map" object.`, { file: WEIGHTS_INDEX_FILE });
  }
  const shards = new Set<string>();
  for (const shard of Object.values(weightMap as Record<string, unknown>)) {
    if (typeof shard !== 'string') throw new ModelSourceError('integrity', `${WEIGHTS_INDEX_FILE} in ${where} maps a tensor to ${JSON.stringify(shard)}.`);
    checkFileName(shard);
    shards.add(shard);
  }
  return [...shards];
}

/**
 * The files to fetch for a model: config, tokenizer, weights (single file, or the index and every
 * shard it names), plus the optional files the source has. Missing required files fail here,
 * before any large download starts.
 */
export async function resolveModelFiles(source: ModelSource): Promise<string[]> {
  const listed = source.listFiles ? new Set(await source.listFiles()) : null;
  const has = (name: string) => (listed ? Promise.resolve(listed.has(name)) : source.has(name));
  const files: string[] = [];
  for (const name of REQUIRED_FILES) {
    if (!(await has(name))) {
      const why = name === 'tokenizer.json' ? ' (the fast-tokenizer file; convert the tokenizer with transformers if the repo lacks it)' : '';
      throw new ModelSourceError('not-found', `${source.id} has no ${name}${why}; it is needed to load the model.`, { file: name });
    }
    files.push(name);
  }
  if (await has(WEIGHTS_INDEX_FILE)) {
    files.push(WEIGHTS_INDEX_FILE, ...shardsOfIndex(await source.json(WEIGHTS_INDEX_FILE), source.id));
  } else if (await has(WEIGHTS_FILE)) {
    files.push(WEIGHTS_FILE);
  } else {
    throw new ModelSourceError('not-found', `${source.id} has neither ${WEIGHTS_FILE} nor ${WEIGHTS_INDEX_FILE}; only safetensors weights load.`, { file: WEIGHTS_FILE });
  }
  for (const name of OPTIONAL_FILES) if (await has(name)) files.push(name);
  return files;
}

/** Adapts a source to the `openFile(name) → ByteSource | null` that model/safetensors' openCheckpoint takes. */
export function checkpointOpener(source: ModelSource): (name: string) => Promise<ByteSource | null> {
  return async (name) => ((await source.has(name)) ? source.open(name) : null);
}

// ---------------------------------------------------------------------------------------------
// Browser: files from <input type="file" multiple|webkitdirectory> or drag and drop.

export class FileListModelSource implements ModelSource {
  readonly id: string;
  private readonly files = new Map<string, File>();

  /** `files` from an input or a drop; a folder picked whole has its top folder name stripped. */
  constructor(files: ArrayLike<File> | Iterable<File>, options: { id?: string } = {}) {
    const list = Array.from(files as ArrayLike<File>);
    const paths = list.map((f) => (f.webkitRelativePath || f.name).split('/'));
    const top = paths[0]?.[0];
    const sharedTop = paths.length > 0 && paths.every((p) => p.length > 1 && p[0] === top);
    list.forEach((file, i) => {
      const name = (sharedTop ? paths[i].slice(1) : paths[i]).join('/');
      // Keep the first file for a name; a folder holding two copies is ambiguous, the shallower path wins.
      if (!this.files.has(name)) this.files.set(name, file);
    });
    const signature = [...this.files].map(([n, f]) => `${n}:${f.size}:${f.lastModified}`).sort().join('|');
    this.id = options.id ?? `local:${sharedTop ? top : 'files'}#${fingerprint(signature)}`;
  }

  async listFiles(): Promise<string[]> {
    return [...this.files.keys()];
  }
  async has(name: string): Promise<boolean> {
    return this.files.has(name);
  }
  async stat(name: string): Promise<FileStat | null> {
    const file = this.files.get(name);
    return file ? { size: file.size } : null;
  }
  async open(name: string): Promise<ByteSource> {
    const file = this.files.get(name);
    if (!file) throw missingFile(name, `the files given (${[...this.files.keys()].join(', ')})`);
    return blobSource(file, name);
  }
  async text(name: string): Promise<string> {
    return readWholeText(await this.open(name));
  }
  async json<T = unknown>(name: string): Promise<T> {
    return parseJsonFile<T>(await this.text(name), name, 'the files given');
  }
}

// ---------------------------------------------------------------------------------------------
// Browser: a folder from showDirectoryPicker() (FileSystemDirectoryHandle), or an OPFS folder.
// Only the members used are declared, so tests can pass an in-memory fake.

export interface FileHandleLike {
  readonly kind: 'file';
  readonly name: string;
  getFile(): Promise<File>;
}
export interface DirectoryHandleLike {
  readonly kind: 'directory';
  readonly name: string;
  getFileHandle(name: string, options?: { create?: boolean }): Promise<FileHandleLike>;
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<DirectoryHandleLike>;
  values(): AsyncIterable<FileHandleLike | DirectoryHandleLike>;
}

/** Walks no deeper than this and lists no more than MAX_LISTED entries: a wrong folder pick stays cheap. */
const MAX_DEPTH = 4;
const MAX_LISTED = 10_000;

function isNotFound(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === 'NotFoundError' || name === 'TypeMismatchError';
}

export class DirectoryModelSource implements ModelSource {
  readonly id: string;

  constructor(private readonly root: DirectoryHandleLike, options: { id?: string } = {}) {
    this.id = options.id ?? `local-dir:${root.name}`;
  }

  private async fileHandle(name: string): Promise<FileHandleLike | null> {
    checkFileName(name);
    const segments = name.split('/');
    let dir = this.root;
    try {
      for (const segment of segments.slice(0, -1)) dir = await dir.getDirectoryHandle(segment);
      return await dir.getFileHandle(segments[segments.length - 1]);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  async listFiles(): Promise<string[]> {
    const names: string[] = [];
    const walk = async (dir: DirectoryHandleLike, prefix: string, depth: number): Promise<void> => {
      for await (const entry of dir.values()) {
        if (names.length >= MAX_LISTED) return;
        if (entry.kind === 'file') names.push(prefix + entry.name);
        else if (depth < MAX_DEPTH) await walk(entry, `${prefix}${entry.name}/`, depth + 1);
      }
    };
    await walk(this.root, '', 1);
    return names;
  }
  async has(name: string): Promise<boolean> {
    return (await this.fileHandle(name)) !== null;
  }
  async stat(name: string): Promise<FileStat | null> {
    const handle = await this.fileHandle(name);
    return handle ? { size: (await handle.getFile()).size } : null;
  }
  async open(name: string): Promise<ByteSource> {
    const handle = await this.fileHandle(name);
    if (!handle) throw missingFile(name, `the folder "${this.root.name}"`);
    return blobSource(await handle.getFile(), name);
  }
  async text(name: string): Promise<string> {
    return readWholeText(await this.open(name));
  }
  async json<T = unknown>(name: string): Promise<T> {
    return parseJsonFile<T>(await this.text(name), name, `the folder "${this.root.name}"`);
  }
}

// ---------------------------------------------------------------------------------------------
// Node: a folder on disk. node:fs is imported on first use so the browser bundle never pulls it in.

export class NodeFolderModelSource implements ModelSource {
  readonly id: string;

  constructor(readonly folder: string, options: { id?: string } = {}) {
    this.id = options.id ?? `folder:${folder}`;
  }

  private pathOf(name: string): string {
    checkFileName(name);
    return `${this.folder.replace(/[/\\]+$/, '')}/${name}`;
  }

  async listFiles(): Promise<string[]> {
    const { readdir } = await import('node:fs/promises');
    const entries = await readdir(this.folder, { recursive: true, withFileTypes: true });
    const root = this.folder.replace(/[/\\]+$/, '');
    return entries
      .filter((e) => e.isFile())
      .map((e) => `${e.parentPath.slice(root.length + 1)}/${e.name}`.replace(/^\//, '').replaceAll('\\', '/'))
      .slice(0, MAX_LISTED);
  }
  async stat(name: string): Promise<FileStat | null> {
    const { stat } = await import('node:fs/promises');
    try {
      const s = await stat(this.pathOf(name));
      return s.isFile() ? { size: s.size } : null;
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT' || (e as { code?: string }).code === 'ENOTDIR') return null;
      throw e;
    }
  }
  async has(name: string): Promise<boolean> {
    return (await this.stat(name)) !== null;
  }
  async open(name: string): Promise<ByteSource> {
    if (!(await this.has(name))) throw missingFile(name, `the folder ${this.folder}`);
    const { nodeFileSource } = await import('./node-file-source');
    return nodeFileSource(this.pathOf(name));
  }
  async text(name: string): Promise<string> {
    return readWholeText(await this.open(name));
  }
  async json<T = unknown>(name: string): Promise<T> {
    return parseJsonFile<T>(await this.text(name), name, `the folder ${this.folder}`);
  }
}
