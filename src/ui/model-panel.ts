// The model panel: load a model from the Hugging Face Hub, a URL or a local folder (downloads are
// cached for offline use), see what it is, and chat with it.

import type { Remote } from 'comlink';
import type { ChatMessage, ChatReply, JobId, JobProgress, LoadDetail, ModelRequest, ModelSummary, StudioApi } from '../studio/api';
import { resultOf, runJob } from '../worker/client';
import { formatBytes, h } from './dom';

function formatProgress(p: JobProgress<LoadDetail>): string {
  const what = p.phase === 'download' ? 'Downloading' : 'Uploading to the GPU';
  const total = p.total ? ` of ${formatBytes(p.total)}` : '';
  const rate = p.rate ? `, ${formatBytes(p.rate)}/s` : '';
  const eta = p.etaSec !== null && Number.isFinite(p.etaSec) ? `, ${Math.ceil(p.etaSec)} s left` : '';
  return `${what}: ${formatBytes(p.done)}${total}${rate}${eta} (${p.payload?.file ?? ''})`;
}

export function modelPanel(engine: Remote<StudioApi>): HTMLElement {
  const kind = h('select', { 'aria-label': 'model source' }, h('option', { value: 'hub' }, 'Hugging Face Hub'), h('option', { value: 'url' }, 'URL of a model folder'), h('option', { value: 'files' }, 'Folder on this computer'));
  const repo = h('input', { type: 'text', placeholder: 'HuggingFaceTB/SmolLM2-135M-Instruct', 'aria-label': 'repository or URL', size: '40' });
  const token = h('input', { type: 'password', placeholder: 'access token (gated models only)', 'aria-label': 'access token', autocomplete: 'off' });
  const folder = h('input', { type: 'file', webkitdirectory: true, multiple: true, hidden: true, 'aria-label': 'model folder' });
  const load = h('button', { type: 'button', 'data-testid': 'load-model' }, 'Load');
  let running: Promise<JobId> | null = null; // the job Cancel stops
  const cancel = h('button', { type: 'button', disabled: true, onclick: () => void running?.then((id) => engine.cancel(id)) }, 'Cancel');
  const status = h('p', { class: 'hint', 'data-testid': 'model-status' }, 'No model loaded.');
  const summary = h('div');

  const history: ChatMessage[] = [];
  const log = h('div', { class: 'chat-log', 'data-testid': 'chat-log' });
  const input = h('textarea', { rows: '2', placeholder: 'Say something…', 'aria-label': 'message' });
  const temperature = h('input', { type: 'number', value: '0', min: '0', max: '2', step: '0.1', 'aria-label': 'temperature' });
  const send = h('button', { type: 'button', disabled: true, 'data-testid': 'send' }, 'Send');
  const chat = h('div', { class: 'chat', hidden: true }, log, input, h('div', {}, h('label', {}, 'temperature ', temperature), ' ', send));

  kind.addEventListener('change', () => {
    repo.hidden = kind.value === 'files';
    token.hidden = kind.value !== 'hub';
    folder.hidden = kind.value !== 'files';
    repo.placeholder = kind.value === 'url' ? 'https://…/model/ (config.json, model.safetensors, tokenizer.json)' : 'HuggingFaceTB/SmolLM2-135M-Instruct';
  });

  function request(): ModelRequest | string {
    if (kind.value === 'files') return folder.files?.length ? { kind: 'files', files: [...folder.files] } : 'Choose the model folder first.';
    const text = repo.value.trim();
    if (!text) return kind.value === 'hub' ? 'Type a repository id such as HuggingFaceTB/SmolLM2-135M-Instruct.' : 'Type the URL of a model folder.';
    if (kind.value === 'url') return { kind: 'url', url: new URL(text, location.href).href };
    const [name, revision] = text.split('@');
    return { kind: 'hub', repo: name, revision: revision || undefined, token: token.value || undefined };
  }

  load.addEventListener('click', async () => {
    const req = request();
    if (typeof req === 'string') {
      status.textContent = req;
      return;
    }
    load.disabled = true;
    cancel.disabled = false;
    send.disabled = true;
    status.textContent = 'Starting…';
    try {
      const job = runJob<LoadDetail, ModelSummary>((listener) => engine.loadModel(req, listener), (p) => (status.textContent = formatProgress(p)));
      running = job.id;
      const s = resultOf(await job.end);
      status.textContent = `Loaded ${s.id}.`;
      summary.replaceChildren(
        h('table', { class: 'kv' }, ...[
          ['architecture', s.architecture],
          ['parameters', `${(s.parameters / 1e6).toFixed(1)} M`],
          ['layers × hidden', `${s.layers} × ${s.hidden}`],
          ['vocabulary', String(s.vocab)],
          ['weights on the GPU', formatBytes(s.weightBytes)],
        ].map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))),
      );
      history.length = 0;
      log.replaceChildren();
      chat.hidden = !s.chatTemplate;
      send.disabled = !s.chatTemplate;
      if (!s.chatTemplate) status.textContent += ' It has no chat template (a base model), so chat is off.';
    } catch (e) {
      status.textContent = `Could not load: ${e instanceof Error ? e.message : e}`;
    } finally {
      load.disabled = false;
      cancel.disabled = true;
    }
  });

  send.addEventListener('click', async () => {
    const text = input.value.trim();
    if (!text) return;
    history.push({ role: 'user', content: text });
    log.append(h('p', { class: 'user' }, text));
    input.value = '';
    send.disabled = true;
    cancel.disabled = false;
    try {
      const options = { maxNewTokens: 128, temperature: Number(temperature.value) || 0, topP: 0.95, seed: history.length };
      const job = runJob<never, ChatReply>((listener) => engine.chat([...history], options, listener));
      running = job.id;
      const reply = resultOf(await job.end);
      history.push({ role: 'assistant', content: reply.text });
      log.append(h('p', { class: 'assistant', 'data-testid': 'assistant-reply' }, reply.text, h('span', { class: 'hint' }, ` (${reply.tokens} tokens, ${(reply.ms / 1000).toFixed(1)} s, ${reply.finish})`)));
    } catch (e) {
      history.pop();
      log.append(h('p', { class: 'error' }, `Generation failed: ${e instanceof Error ? e.message : e}`));
    } finally {
      send.disabled = false;
      cancel.disabled = true;
    }
  });

  return h('section', { class: 'panel', id: 'model' }, h('h2', {}, 'Model'), h('div', { class: 'row' }, kind, ' ', repo, folder, ' ', token, ' ', load, ' ', cancel), status, summary, chat);
}
