// One prompt to several models at once: the untuned model, the adapters the demo run trained (kept
// with the run, so they survive a reload) and every adapter trained in this session (the Train
// step's runs), each answering with the same greedy settings.

import { useState } from 'preact/hooks';
import type { AdapterInfo, ChatReply, RunAdapter } from '../../studio/api';
import { resultOf, runJob } from '../../worker/client';
import { busy, model, type Studio } from '../state';

interface Answer {
  name: string;
  text: string;
}

export function CompareChat({ studio, runId, runAdapters = [] }: { studio: Studio; runId?: string; runAdapters?: readonly RunAdapter[] }) {
  const [prompt, setPrompt] = useState('');
  const [answers, setAnswers] = useState<Answer[]>([]);
  const [running, setRunning] = useState(false);
  const [note, setNote] = useState('');
  if (model.value.kind !== 'ready' || !model.value.summary.chatTemplate) return null;

  async function ask() {
    const text = prompt.trim();
    if (!text) return;
    setRunning(true);
    busy.value = 'Comparing the models';
    setAnswers([]);
    const out: Answer[] = [];
    let adapters: AdapterInfo[] = [];
    try {
      for (const a of runAdapters) await studio.engine.useRunAdapter(runId!, a.unit);
      adapters = await studio.engine.adapters();
      const before = adapters.find((a) => a.attached)?.id ?? null;
      for (const who of [null, ...adapters]) {
        await studio.engine.attachAdapter(who ? who.id : null);
        const job = runJob<never, ChatReply>((listener) => studio.engine.chat([{ role: 'user', content: text }], { maxNewTokens: 96, temperature: 0, topP: 1, seed: 0 }, listener));
        const reply = resultOf(await job.end);
        out.push({ name: who ? who.name : 'untuned', text: reply.text });
        setAnswers([...out]);
      }
      await studio.engine.attachAdapter(before);
      setNote(adapters.length ? '' : 'No adapter trained yet: run the demo, or train plain fine-tuning or GR-SAP in the Train step, to compare them here.');
    } catch (e) {
      setNote(`Could not compare: ${e instanceof Error ? e.message : e}`);
    } finally {
      busy.value = null;
      setRunning(false);
    }
  }

  return (
    <div>
      <h3>Chat with the models side by side</h3>
      <p class="hint">The untuned model, the demo's adapters and every adapter trained in the Train step answer the same prompt, greedily. Answers can be harmful: they are shown because you asked.</p>
      <label class="block">
        Prompt for every model
        <textarea rows={2} value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />
      </label>
      <button type="button" data-testid="compare-ask" disabled={running || !prompt.trim() || busy.value !== null} onClick={() => void ask()}>
        Ask every model
      </button>
      {note ? <p class="hint">{note}</p> : null}
      <dl class="answers" data-testid="compare-answers">
        {answers.map((a) => (
          <>
            <dt>{a.name}</dt>
            <dd>{a.text || '(empty)'}</dd>
          </>
        ))}
      </dl>
    </div>
  );
}
