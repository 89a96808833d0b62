// What this page may contact, and why: the same list the Content-Security-Policy enforces
// (privacy.ts), with the user's own allowed origins and a control to remove each.

import { useState } from 'preact/hooks';
import { allowedOrigins, HUB_SOURCES, setAllowedOrigins } from '../privacy';

export function PrivacyPanel() {
  const [origins] = useState(allowedOrigins);
  const [error, setError] = useState<string | null>(null);

  function remove(origin: string) {
    try {
      setAllowedOrigins(origins.filter((o) => o !== origin));
      location.reload(); // a page's policy can only be tightened in place; the reload writes the new one
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }

  return (
    <section class="panel" aria-labelledby="privacy-title" data-testid="privacy-panel">
      <h2 id="privacy-title">What this page may contact</h2>
      <p class="hint">
        Training, replay, evaluation and chat run in this tab; your data, prompts, answers and adapters are never sent anywhere, and there are no analytics. The browser enforces
        this list (a Content-Security-Policy); any other request is blocked.
      </p>
      <ul data-testid="privacy-sources">
        <li>
          <strong>This site</strong>: the app, the embedded demo model, its guard and the runtime's wasm.
        </li>
        <li>
          <strong>{HUB_SOURCES.map((s) => s.replace('https://', '')).join(', ')}</strong>: only when you load a model from the Hugging Face Hub (its API, and the hosts its
          file downloads redirect to).
        </li>
        {origins.map((o) => (
          <li key={o} data-origin={o}>
            <strong>{o}</strong>: allowed by you for model downloads (a model URL or a Hub mirror).{' '}
            <button type="button" onClick={() => remove(o)}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      {error ? <p class="error">{error}</p> : null}
    </section>
  );
}
