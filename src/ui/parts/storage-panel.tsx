// What this site keeps on this computer (the model cache, experiment runs) against the browser's
// quota, and one control that deletes all of it.

import { useEffect, useState } from 'preact/hooks';
import { formatBytes } from '../dom';
import { demo } from '../demo';
import { appRecords } from '../records';
import { model, type Studio } from '../state';

async function estimate(): Promise<StorageEstimate | null> {
  return navigator.storage?.estimate ? navigator.storage.estimate() : null;
}

/** Every IndexedDB database, the origin-private file system and the Cache API entries of this site. */
export async function deleteAllLocalData(): Promise<void> {
  const dbs = (await indexedDB.databases?.()) ?? [];
  await Promise.all(
    dbs.map(
      (db) =>
        new Promise<void>((resolve, reject) => {
          if (!db.name) return resolve();
          const r = indexedDB.deleteDatabase(db.name);
          r.onsuccess = () => resolve();
          r.onerror = () => reject(r.error ?? new Error(`could not delete the database ${db.name}`));
          r.onblocked = () => reject(new Error(`the database ${db.name} is open in another tab of this site; close it`));
        }),
    ),
  );
  if (navigator.storage?.getDirectory) {
    const root = await navigator.storage.getDirectory();
    for await (const name of (root as FileSystemDirectoryHandle & { keys(): AsyncIterable<string> }).keys()) await root.removeEntry(name, { recursive: true });
  }
  if (typeof caches !== 'undefined') for (const key of await caches.keys()) await caches.delete(key);
}

export function StoragePanel({ studio }: { studio: Studio }) {
  const [usage, setUsage] = useState<StorageEstimate | null | undefined>(undefined);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const refresh = () => void estimate().then(setUsage, () => setUsage(null));
  const status = demo.value.status;
  const loaded = model.value.kind;
  useEffect(refresh, [status, loaded]); // a loaded model was cached; a demo run that ends has written its records

  async function remove() {
    setConfirming(false);
    studio.worker.terminate(); // the engine holds databases open; a terminated worker releases them
    try {
      await appRecords.close();
      await deleteAllLocalData();
      location.reload();
    } catch (e) {
      setError(`Deleting failed: ${e instanceof Error ? e.message : e}. Reload the page and try again, or clear this site's data in the browser's settings.`);
    }
  }

  return (
    <section class="panel" aria-labelledby="storage-title">
      <h2 id="storage-title">Storage on this computer</h2>
      <p class="hint">Downloaded models and the demo's runs stay in this browser (IndexedDB, the origin-private file system), so a reload loses nothing.</p>
      <p data-testid="storage-usage">
        {usage === undefined
          ? 'Measuring…'
          : usage === null
            ? 'This browser does not report its storage use.'
            : `${formatBytes(usage.usage ?? 0)} used of ${formatBytes(usage.quota ?? 0)} available to this site.`}{' '}
        <button type="button" class="link" onClick={refresh}>
          Refresh
        </button>
      </p>
      {confirming ? (
        <div class="row" role="group" aria-label="Confirm deletion">
          <span>Delete every cached model and every demo run? The page reloads afterwards.</span>
          <button type="button" class="danger" data-testid="confirm-delete" onClick={() => void remove()}>
            Yes, delete everything
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      ) : (
        <button type="button" data-testid="delete-all" onClick={() => setConfirming(true)}>
          Delete all local data
        </button>
      )}
      {error ? <p class="error">{error}</p> : null}
    </section>
  );
}
