// A chat with the loaded model (and whatever adapter is attached): one assistant turn per Send.

import { useState } from 'preact/hooks';
import type { ChatMessage, ChatReply, JobId } from '../../studio/api';
import { resultOf, runJob } from '../../worker/client';
import { busy, type Studio } from '../state';

interface Turn {
  role: 'user' | 'assistant' | 'error';
  text: string;
  note?: string;
}

export function ChatBox({ studio }: { studio: Studio }) {
  const [turns, setTurns] = useState<Turn[]>([]);
  const [text, setText] = useState('');
  const [temperature, setTemperature] = useState(0);
  const [job, setJob] = useState<Promise<JobId> | null>(null);

  async function send() {
    const message = text.trim();
    if (!message || job) return;
    const history: ChatMessage[] = turns.filter((t) => t.role !== 'error').map((t) => ({ role: t.role as 'user' | 'assistant', content: t.text }));
    history.push({ role: 'user', content: message });
    const withUser = [...turns, { role: 'user' as const, text: message }];
    setTurns(withUser);
    setText('');
    const options = { maxNewTokens: 128, temperature, topP: 0.95, seed: history.length };
    const run = runJob<never, ChatReply>((listener) => studio.engine.chat(history, options, listener));
    setJob(run.id);
    try {
      const reply = resultOf(await run.end);
      setTurns([...withUser, { role: 'assistant', text: reply.text, note: `${reply.tokens} tokens, ${(reply.ms / 1000).toFixed(1)} s, ${reply.finish}` }]);
    } catch (e) {
      setTurns([...turns, { role: 'error', text: `Generation failed: ${e instanceof Error ? e.message : e}` }]);
    } finally {
      setJob(null);
    }
  }

  return (
    <div class="chat">
      <div class="chat-log" data-testid="chat-log" aria-live="polite">
        {turns.map((t, i) => (
          <p key={i} class={t.role} data-testid={t.role === 'assistant' ? 'assistant-reply' : undefined}>
            {t.text}
            {t.note ? <span class="hint"> ({t.note})</span> : null}
          </p>
        ))}
      </div>
      <label class="block">
        Message
        <textarea rows={2} value={text} onInput={(e) => setText(e.currentTarget.value)} onKeyDown={(e) => e.key === 'Enter' && (e.ctrlKey || e.metaKey) && void send()} />
      </label>
      <div class="row">
        <label>
          Temperature{' '}
          <input type="number" min="0" max="2" step="0.1" value={temperature} onInput={(e) => setTemperature(Number(e.currentTarget.value) || 0)} />
        </label>
        <button type="button" data-testid="send" disabled={!!job || !text.trim() || (busy.value !== null && !job)} onClick={() => void send()}>
          Send
        </button>
        <button type="button" disabled={!job} onClick={() => void job?.then((id) => studio.engine.cancel(id))}>
          Stop
        </button>
        {busy.value && !job ? <span class="hint">{busy.value}: chat waits for it.</span> : null}
      </div>
    </div>
  );
}
