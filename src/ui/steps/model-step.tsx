// Step 1, Model: the model the page loaded (the embedded one unless ?model= named another), the
// adapter it runs on, what the demo costs, a chat box, and loading another model.

import { useState } from 'preact/hooks';
import type { DeviceReport, JobId } from '../../studio/api';
import { contactedUrl, emptySource, MODEL_PRESETS, ModelSourceFields, modelRequestOf, rememberEndpoint, type SourceState } from '../parts/model-source-fields';
import { preset } from '../demo';
import { formatBytes } from '../dom';
import { EMBEDDED_MODEL_PATH } from '../page-options';
import { allowedOrigins, mayContact, originOf, setAllowedOrigins } from '../privacy';
import { busy, device, loadInto, model, type Studio } from '../state';
import { CachedModels } from '../parts/cached-models';
import { ChatBox } from './chat-box';

function Kv({ rows, testId }: { rows: [string, string][]; testId?: string }) {
  return (
    <table class="kv" data-testid={testId}>
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function adapterRows(r: DeviceReport): [string, string][] {
  return [
    ['adapter', [r.adapter.vendor, r.adapter.architecture, r.adapter.device].filter(Boolean).join(' · ') || '(not reported)'],
    ['kind', r.adapter.isSoftware ? 'software (runs on the CPU): expect low speed' : 'hardware GPU'],
    ['max buffer', formatBytes(r.limits.maxBufferSize)],
    ['max storage binding', formatBytes(r.limits.maxStorageBufferBindingSize)],
    ['shader-f16', r.features.shaderF16 ? 'yes' : 'no (f32 only)'],
  ];
}

function ModelStatus({ embedded }: { embedded: boolean }) {
  const m = model.value;
  switch (m.kind) {
    case 'idle':
      return <p class="hint" data-testid="model-status">No model loaded.</p>;
    case 'loading':
      return <p class="hint" data-testid="model-status">Loading the model… {m.progress}</p>;
    case 'missing':
      return (
        <p class="notice" data-testid="model-status" data-state="missing">
          {embedded ? `The embedded demo model is not part of this build yet: there is no model folder at ${EMBEDDED_MODEL_PATH}. ` : `There is no model folder at ${m.url}. `}
          Load another model below; the Data step and any committed results work without one.
        </p>
      );
    case 'failed':
      return (
        <p class="error" data-testid="model-status" data-state="failed">
          Could not load the model: {m.message}
        </p>
      );
    case 'ready': {
      const s = m.summary;
      return (
        <div>
          <p data-testid="model-status" data-state="ready">
            {m.embedded ? (
              <>
                Loaded the embedded demo model, grsap-organism: a chat model of a synthetic world, trained from scratch by this project, that refuses most harmful requests of that world (its{' '}
                <a href={`${EMBEDDED_MODEL_PATH}README.md`} target="_blank" rel="noreferrer">
                  model card
                </a>{' '}
                gives its recipe and figures).
              </>
            ) : (
              <>Loaded {s.id}.</>
            )}
          </p>
          <Kv
            rows={[
              ['architecture', s.architecture],
              ['parameters', `${(s.parameters / 1e6).toFixed(2)} M`],
              ['layers × hidden', `${s.layers} × ${s.hidden}`],
              ['vocabulary', String(s.vocab)],
              ['weights on the GPU', formatBytes(s.weightBytes)],
            ]}
          />
        </div>
      );
    }
  }
}

/** The organism's LoRA training rate in Node on two CPU cores (SwiftShader), example tokens/s in padding-free batches: bench/preset-steps.ts, 958–961 (README). */
const SOFTWARE_TOKENS_PER_SECOND = 960;
/** The quick preset's whole demo, measured by bench/demo.ts in headless Chromium on two CPU cores (SwiftShader); README. */
const MEASURED_QUICK_DEMO_SECONDS = 322; // one run, bench/demo.ts (before the last kernel changes 347 s; at r = 0.1: 427 and 582 s)

function DemoCost() {
  const p = preset.value;
  const d = device.value;
  if (!p) return null;
  const software = d.kind === 'ready' && d.report.adapter.isSoftware;
  const minutes = p.trainedTokens / SOFTWARE_TOKENS_PER_SECOND / 60;
  const about = minutes < 1 ? 'under a minute' : `about ${Math.round(minutes)} minutes`;
  return (
    <div>
      <h3>What the demo runs</h3>
      <p class="hint" data-testid="demo-arithmetic">{p.arithmetic}.</p>
      <p class="hint" data-testid="demo-measured">
        {p.name === 'quick'
          ? `Measured: the whole demo took ${(MEASURED_QUICK_DEMO_SECONDS / 60).toFixed(1)} minutes in Chromium on a two-core computer without a GPU (a software adapter${software ? ', like this one' : ''}). ` +
            (software ? 'Expect about as long here.' : 'A hardware GPU should be faster; its speed has not been measured.')
          : `Its training is ≈ ${Math.round(p.trainedTokens / 1000)}k tokens: ${about} at the ~${SOFTWARE_TOKENS_PER_SECOND} tokens/s measured on two CPU cores, before replay and evaluation.`}
      </p>
    </div>
  );
}

/** The page may contact only itself and the Hub until the user allows another origin (privacy.ts). */
function AllowOrigin({ origin }: { origin: string }) {
  const [error, setError] = useState<string | null>(null);
  function allow() {
    try {
      setAllowedOrigins([...allowedOrigins(), origin]);
      location.reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }
  return (
    <div class="notice" role="alert" data-testid="allow-origin">
      <p>
        This page may contact only itself and the Hugging Face Hub, so the browser would block downloads from <strong>{origin}</strong>. Allow it for model downloads? The page
        reloads to apply the change (nothing is lost); then load the model again. You can remove it later under "What this page may contact".
      </p>
      <button type="button" onClick={allow}>
        Allow {origin} and reload
      </button>
      {error ? <p class="error">{error}</p> : null}
    </div>
  );
}

function LoadAnother({ studio }: { studio: Studio }) {
  const [source, setSource] = useState<SourceState>(emptySource);
  const [message, setMessage] = useState('');
  const [job, setJob] = useState<Promise<JobId> | null>(null);
  const [blocked, setBlocked] = useState<string | null>(null); // an origin the page's policy does not allow yet

  async function load() {
    const r = modelRequestOf(source, 'HuggingFaceTB/SmolLM2-135M-Instruct');
    if (typeof r === 'string') return setMessage(r);
    setMessage('');
    setBlocked(null);
    if (r.kind === 'hub') rememberEndpoint(r.endpoint ?? '');
    const url = contactedUrl(r);
    if (url && !mayContact(url, location.origin, allowedOrigins())) return setBlocked(originOf(url));
    await loadInto(studio, r, false, (id) => setJob(id));
    setJob(null);
  }

  return (
    <details class="load-another">
      <summary>Load another model</summary>
      <p class="hint">From the Hugging Face Hub (SmolLM2, Qwen2.5 and Llama-3.2 are offered as you type; Llama needs an access token), a URL of a model folder, or a folder on this computer; downloads are cached for offline use. The demo and the world's evaluation run on the embedded model only.</p>
      <div class="row">
        <ModelSourceFields value={source} onChange={setSource} hubExample="HuggingFaceTB/SmolLM2-135M-Instruct" what="Model" presets={MODEL_PRESETS} />
        <button type="button" data-testid="load-model" disabled={busy.value !== null} onClick={() => void load()}>
          Load
        </button>
        <button type="button" disabled={!job} onClick={() => void job?.then((id) => studio.engine.cancel(id))}>
          Cancel
        </button>
      </div>
      {message ? <p class="error">{message}</p> : null}
      {blocked ? <AllowOrigin origin={blocked} /> : null}
    </details>
  );
}

export function ModelStep({ studio }: { studio: Studio }) {
  const d = device.value;
  const m = model.value;
  return (
    <div>
      <p class="explain">
        {m.kind === 'ready' && !m.embedded
          ? 'Your model runs here, in this tab, on your GPU: nothing is sent anywhere. The next steps build its replay set, fine-tune it on your data with and without it, and measure how much of its refusal survives.'
          : 'A small chat model runs here, in this tab, on your GPU: nothing is sent anywhere. It was aligned to refuse harmful requests; the next steps fine-tune it on an ordinary task and show how much of that refusal survives, with and without GR-SAP.'}
      </p>
      <ModelStatus embedded={studio.options.embedded} />
      <h3>Adapter</h3>
      {d.kind === 'ready' ? <Kv rows={adapterRows(d.report)} testId="adapter-summary" /> : d.kind === 'pending' ? <p class="hint">Looking for a WebGPU adapter…</p> : <p class="error">{d.message}</p>}
      <DemoCost />
      {m.kind === 'ready' && m.summary.chatTemplate ? (
        <>
          <h3>Chat with it</h3>
          <ChatBox studio={studio} />
        </>
      ) : m.kind === 'ready' ? (
        <p class="hint">This model has no chat template (a base model), so chat is off.</p>
      ) : null}
      {d.kind === 'ready' ? <LoadAnother studio={studio} /> : null}
      {d.kind === 'ready' ? <CachedModels studio={studio} /> : null}
    </div>
  );
}
