// Where a model comes from, as form fields: a Hugging Face repository (with a token for gated
// ones, and optionally a mirror of the Hub), a URL of a model folder, or a folder on this computer.
// The Model step loads models with them, and the Replay and Results steps their judge models.

import type { ModelRequest } from '../../studio/api';
import { originOf, PrivacyError } from '../privacy';

export type SourceKind = 'hub' | 'url' | 'files';

export interface SourceState {
  kind: SourceKind;
  text: string; // repository id (optionally @revision) or URL
  token: string;
  endpoint: string; // a mirror of the Hub; '' for huggingface.co
  files: File[];
}

export const HUB_ENDPOINT = 'https://huggingface.co';
const ENDPOINT_KEY = 'grsap-hub-endpoint';

/** The Hub mirror used last (kept in localStorage, so it survives the reload that allowing its origin takes); '' for the Hub itself. */
export function rememberedEndpoint(): string {
  try {
    return localStorage.getItem(ENDPOINT_KEY) ?? '';
  } catch {
    return '';
  }
}

export function rememberEndpoint(endpoint: string): void {
  try {
    if (endpoint) localStorage.setItem(ENDPOINT_KEY, endpoint);
    else localStorage.removeItem(ENDPOINT_KEY);
  } catch {
    // blocked storage: the field is typed again next time
  }
}

export const emptySource = (): SourceState => ({ kind: 'hub', text: '', token: '', endpoint: rememberedEndpoint(), files: [] });

/** The mirror typed in the field, normalised ('' for the Hub itself); throws a PrivacyError naming a bad value. */
function endpointOf(text: string): string {
  const t = text.trim().replace(/\/+$/, '');
  if (!t || t === HUB_ENDPOINT) return '';
  const origin = originOf(t);
  return new URL(t).pathname === '/' ? origin : t;
}

/** The URL the request downloads from, where the page's policy decides whether it may (null for picked files and the Hub itself). */
export function contactedUrl(r: ModelRequest): string | null {
  return r.kind === 'url' ? r.url : r.kind === 'hub' && r.endpoint ? r.endpoint : null;
}

/** The request the fields describe, or a sentence saying what is missing. */
export function modelRequestOf(s: SourceState, hubExample: string): ModelRequest | string {
  if (s.kind === 'files') return s.files.length ? { kind: 'files', files: s.files } : 'Choose the folder first.';
  const t = s.text.trim();
  if (!t) return s.kind === 'hub' ? `Type a repository id such as ${hubExample}.` : 'Type the URL of a model folder.';
  if (s.kind === 'url') return { kind: 'url', url: new URL(t, location.href).href };
  const [repo, revision] = t.split('@');
  let endpoint: string;
  try {
    endpoint = endpointOf(s.endpoint);
  } catch (e) {
    if (e instanceof PrivacyError) return `Hub mirror: ${e.message}`;
    throw e;
  }
  return { kind: 'hub', repo, revision: revision || undefined, token: s.token || undefined, endpoint: endpoint || undefined };
}

/** The request that opens a cached model again (its files come from the cache), or null for ids the cache cannot name a source for. */
export function requestOfCachedModel(modelId: string): ModelRequest | null {
  const hub = /^hf:([\w.-]+(?:\/[\w.-]+)?)@(.+)$/.exec(modelId);
  if (hub) return { kind: 'hub', repo: hub[1], revision: hub[2], endpoint: rememberedEndpoint() || undefined };
  if (modelId.startsWith('url:')) return { kind: 'url', url: modelId.slice(4) };
  return null;
}

/** Repositories offered as you type (the README's memory table covers them); any other id works too. */
export const MODEL_PRESETS = ['HuggingFaceTB/SmolLM2-135M-Instruct', 'HuggingFaceTB/SmolLM2-360M-Instruct', 'Qwen/Qwen2.5-0.5B-Instruct', 'meta-llama/Llama-3.2-1B-Instruct'] as const;

export function ModelSourceFields({ value, onChange, hubExample, what, presets }: { value: SourceState; onChange: (s: SourceState) => void; hubExample: string; what: string; presets?: readonly string[] }) {
  const listId = presets ? `${what.toLowerCase()}-presets` : undefined;
  const set = (patch: Partial<SourceState>) => onChange({ ...value, ...patch });
  return (
    <>
      <label>
        {what} source{' '}
        <select value={value.kind} onChange={(e) => set({ kind: e.currentTarget.value as SourceKind })}>
          <option value="hub">Hugging Face Hub</option>
          <option value="url">URL of a model folder</option>
          <option value="files">Folder on this computer</option>
        </select>
      </label>
      {value.kind === 'files' ? (
        <label>
          {what} folder <input type="file" {...{ webkitdirectory: true }} multiple onChange={(e) => set({ files: [...(e.currentTarget.files ?? [])] })} />
        </label>
      ) : (
        <label>
          {value.kind === 'hub' ? `${what} repository` : `${what} URL`}{' '}
          <input type="text" size={36} value={value.text} list={value.kind === 'hub' ? listId : undefined} placeholder={value.kind === 'hub' ? hubExample : 'https://…/model/'} onInput={(e) => set({ text: e.currentTarget.value })} />
          {presets && value.kind === 'hub' ? (
            <datalist id={listId}>
              {presets.map((p) => (
                <option key={p} value={p} />
              ))}
            </datalist>
          ) : null}
        </label>
      )}
      {value.kind === 'hub' ? (
        <label>
          {what} Hub mirror <input type="url" size={24} placeholder={HUB_ENDPOINT} value={value.endpoint} onInput={(e) => set({ endpoint: e.currentTarget.value })} />
        </label>
      ) : null}
      {value.kind === 'hub' ? (
        <label>
          {what} access token <input type="password" autocomplete="off" placeholder="gated repositories only" value={value.token} onInput={(e) => set({ token: e.currentTarget.value })} />
        </label>
      ) : null}
    </>
  );
}
