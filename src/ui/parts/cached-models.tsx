// The models downloaded for offline use, as the Model step lists them: size, files, when, whether
// complete; a complete one loads again without the network, and any one can be deleted (it is a
// copy of a download, so deleting it loses nothing that cannot be fetched again).

import { useEffect, useState } from 'preact/hooks';
import type { CachedModelInfo } from '../../studio/api';
import { formatBytes } from '../dom';
import { busy, loadInto, model, type Studio } from '../state';
import { requestOfCachedModel } from './model-source-fields';

export function CachedModels({ studio }: { studio: Studio }) {
  const [models, setModels] = useState<CachedModelInfo[] | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const m = model.value;
  const loadedId = m.kind === 'ready' ? m.summary.id : null;
  const refresh = () =>
    void studio.engine.cachedModels().then(
      (list) => setModels(list),
      (e) => setError(`Could not list the downloaded models: ${e instanceof Error ? e.message : e}`),
    );
  useEffect(refresh, [m.kind, loadedId]); // a finished load has written to the cache

  async function remove(modelId: string) {
    setConfirming(null);
    setError(null);
    try {
      await studio.engine.deleteCachedModel(modelId);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
    refresh();
  }

  if (models === null) return error ? <p class="error">{error}</p> : null;
  return (
    <section aria-labelledby="cached-title">
      <h3 id="cached-title">Models on this computer</h3>
      {models.length === 0 ? (
        <p class="hint" data-testid="cached-models-empty">
          None yet: a model loaded from the Hub or a URL is kept here for offline use.
        </p>
      ) : (
        <table class="sizes" data-testid="cached-models">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Files</th>
              <th scope="col">Size</th>
              <th scope="col">Saved</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {models.map((c) => {
              const request = requestOfCachedModel(c.modelId);
              return (
                <tr key={c.modelId} data-model={c.modelId}>
                  <th scope="row">
                    {c.modelId}
                    {c.modelId === loadedId ? ' (loaded)' : ''}
                  </th>
                  <td>{c.complete ? `${c.files.length} files` : `${c.files.length} files so far (download not finished; loading it continues the download)`}</td>
                  <td data-testid="cached-size">{formatBytes(c.bytes)}</td>
                  <td>{new Date(c.savedAt).toLocaleString()}</td>
                  <td class="row">
                    {request && c.modelId !== loadedId ? (
                      <button type="button" disabled={busy.value !== null} onClick={() => void loadInto(studio, request, request.kind === 'url' && request.url === studio.options.modelUrl && studio.options.embedded)}>
                        Load
                      </button>
                    ) : null}
                    {confirming === c.modelId ? (
                      <>
                        <button type="button" class="danger" onClick={() => void remove(c.modelId)}>
                          Delete {formatBytes(c.bytes)}
                        </button>
                        <button type="button" onClick={() => setConfirming(null)}>
                          Keep
                        </button>
                      </>
                    ) : (
                      <button type="button" disabled={c.modelId === loadedId} title={c.modelId === loadedId ? 'Load another model first' : undefined} onClick={() => setConfirming(c.modelId)}>
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {error ? <p class="error">{error}</p> : null}
    </section>
  );
}
