// Where a model comes from, as form fields: a Hugging Face repository (with a token for gated
// ones), a URL of a model folder, or a folder on this computer. The Model step loads models with
// them, and the Replay step its judge models.

import type { ModelRequest } from '../../studio/api';

export type SourceKind = 'hub' | 'url' | 'files';

export interface SourceState {
  kind: SourceKind;
  text: string; // repository id (optionally @revision) or URL
  token: string;
  files: File[];
}

export const EMPTY_SOURCE: SourceState = { kind: 'hub', text: '', token: '', files: [] };

/** The request the fields describe, or a sentence saying what is missing. */
export function modelRequestOf(s: SourceState, hubExample: string): ModelRequest | string {
  if (s.kind === 'files') return s.files.length ? { kind: 'files', files: s.files } : 'Choose the folder first.';
  const t = s.text.trim();
  if (!t) return s.kind === 'hub' ? `Type a repository id such as ${hubExample}.` : 'Type the URL of a model folder.';
  if (s.kind === 'url') return { kind: 'url', url: new URL(t, location.href).href };
  const [repo, revision] = t.split('@');
  return { kind: 'hub', repo, revision: revision || undefined, token: s.token || undefined };
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
          {what} access token <input type="password" autocomplete="off" placeholder="gated repositories only" value={value.token} onInput={(e) => set({ token: e.currentTarget.value })} />
        </label>
      ) : null}
    </>
  );
}
