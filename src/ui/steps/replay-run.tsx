// A replay run of one's own on the loaded model: strategy, samples, filters, judge; pairs appear as
// they are judged; the funnel says where the requests went; rows can be searched, deleted and
// exported as JSONL. The set is kept in the browser, so the Train step can mix it after a reload.

import { signal } from '@preact/signals';
import { useEffect, useState } from 'preact/hooks';
import type { JobId, ReplayFunnel, ReplaySetPair, ReplaySetRequest, ReplaySetResult } from '../../studio/api';
import { runJob } from '../../worker/client';
import { JudgeFields, judgeChoiceOf, judgeDefault, type JudgeState } from '../parts/judge-fields';
import { Reveal } from '../parts/reveal';
import { appRecords } from '../records';
import { busy, model, type Studio } from '../state';
import { downloadFile } from '../dom';

export const REPLAY_SET_KEY = 'replay-set';

type Strategy = NonNullable<NonNullable<ReplaySetRequest['extraction']>['strategies']>[number];

/** The page's replay set (the last run's, minus deleted rows), kept across reloads. */
export const replaySet = signal<ReplaySetPair[]>([]);
export const replayFunnel = signal<ReplayFunnel | null>(null);

export async function restoreReplaySet(): Promise<void> {
  const saved = await appRecords.get<{ pairs: ReplaySetPair[]; funnel: ReplayFunnel | null }>(REPLAY_SET_KEY);
  if (saved) {
    replaySet.value = saved.pairs;
    replayFunnel.value = saved.funnel;
  }
}

async function keep(pairs: ReplaySetPair[], funnel: ReplayFunnel | null): Promise<void> {
  replaySet.value = pairs;
  replayFunnel.value = funnel;
  await appRecords.set(REPLAY_SET_KEY, { pairs, funnel });
}


function Funnel({ f }: { f: ReplayFunnel }) {
  const rows: [string, string][] = [
    ['sampled', String(f.extraction.total.sampled)],
    ['requests extracted', String(f.extraction.total.kept)],
    ...f.filters.map((x): [string, string] => [`after ${x.name}`, `${x.kept} (dropped ${x.dropped})`]),
    ['answered', String(f.responded)],
    ['first answers: safe (easy) / unsafe (hard) / unlabelled', `${f.firstAnswers.easy} / ${f.firstAnswers.hard} / ${f.firstAnswers.unlabelled}`],
    ['revised into safe answers', f.revise ? `${f.revise.fixed} of ${f.revise.hard}` : 'revise off'],
    ['usable pairs (hard / easy)', `${f.usable.hard} / ${f.usable.easy}`],
    ['selected', String(f.selected.total)],
    ...(f.benign ? [['benign pairs kept', `${f.benign.kept} of ${f.benign.sampled} sampled (harmful ${f.benign.harmful}, refused ${f.benign.refused})`] as [string, string]] : []),
  ];
  return (
    <table class="kv" data-testid="replay-funnel">
      <caption>
        Funnel (judge: {f.judge}){f.complete ? '' : `, stopped in ${f.stoppedIn ?? 'a step'}`}
      </caption>
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td data-step={k}>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ReplayRun({ studio }: { studio: Studio }) {
  const [strategy, setStrategy] = useState<Strategy>('assistant-prefill');
  const [samples, setSamples] = useState(16);
  const [tokens, setTokens] = useState(64);
  const [perplexity, setPerplexity] = useState(true);
  const [nearDuplicates, setNearDuplicates] = useState(true);
  const [revise, setRevise] = useState(true);
  const [requireRefusal, setRequireRefusal] = useState(true); // the embedded model's default (replay-settings.ts)
  const embedded = model.value.kind === 'ready' && model.value.summary.world;
  const [judge, setJudge] = useState<JudgeState>(() => judgeDefault(true));
  const [seed, setSeed] = useState(0);
  const [benign, setBenign] = useState(0);
  const [job, setJob] = useState<Promise<JobId> | null>(null);
  const [line, setLine] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const ready = model.value.kind === 'ready';
  // The defaults follow the loaded model: the world's labeller and the refusal opening for the embedded one only.
  useEffect(() => {
    if (!ready) return;
    setJudge((j) => (embedded ? { ...j, kind: 'world' } : j.kind === 'world' ? { ...j, kind: 'keyword' } : j));
    setRequireRefusal(embedded);
  }, [ready, embedded]);

  async function start() {
    const choice = judgeChoiceOf(judge);
    if (typeof choice === 'string') return setError(choice);
    setError(null);
    setLine('Starting…');
    const live: ReplaySetPair[] = [];
    replaySet.value = [];
    replayFunnel.value = null;
    const request: ReplaySetRequest = {
      judge: choice,
      seed,
      extraction: { strategies: [strategy], samplesPerDomain: samples, maxNewTokens: tokens },
      perplexity: perplexity ? {} : false,
      nearDuplicates: nearDuplicates ? {} : false,
      revise: revise ? {} : false,
      requireRefusal,
      benign: benign > 0 ? { samples: benign, requestTokens: tokens } : false,
    };
    busy.value = 'A replay run is in progress';
    const run = runJob<ReplaySetPair[], ReplaySetResult>(
      (listener) => studio.engine.replay(request, listener),
      (p) => {
        setLine(`${p.phase}: ${p.done}${p.total !== null ? ` of ${p.total}` : ''}${p.etaSec !== null && Number.isFinite(p.etaSec) ? `, ${Math.ceil(p.etaSec)} s left` : ''}`);
        if (p.payload?.length) {
          live.push(...p.payload);
          replaySet.value = [...live];
        }
      },
    );
    setJob(run.id);
    const end = await run.end;
    setJob(null);
    busy.value = null;
    if (end.status === 'failed') {
      setError(end.error);
      setLine('');
      return;
    }
    const result = end.result;
    await keep(result ? result.pairs : live, result ? result.funnel : null);
    setLine(end.status === 'done' ? `Done: ${result!.pairs.length} pairs.` : `Stopped: ${replaySet.value.length} pairs kept.`);
  }

  async function remove(pair: ReplaySetPair) {
    await keep(
      replaySet.value.filter((p) => p !== pair),
      replayFunnel.value,
    );
  }

  const q = query.trim().toLowerCase();
  const shown = q ? replaySet.value.filter((p) => `${p.source.domain} ${p.source.request} ${p.response}`.toLowerCase().includes(q)) : replaySet.value;

  return (
    <div>
      <h3>Your own replay run</h3>
      <div class="form-grid">
        <label>
          Extraction strategy
          <select value={strategy} onChange={(e) => setStrategy(e.currentTarget.value as Strategy)}>
            <option value="assistant-prefill">assistant prefill (the paper's default)</option>
            <option value="user-prefill">user prefill</option>
            <option value="magpie">Magpie (no domain)</option>
          </select>
        </label>
        <label>
          Samples per domain
          <input type="number" min="1" max="512" value={samples} onInput={(e) => setSamples(Math.max(1, Math.floor(Number(e.currentTarget.value) || 1)))} />
        </label>
        <label>
          Tokens per request
          <input type="number" min="8" max="256" value={tokens} onInput={(e) => setTokens(Math.max(8, Math.floor(Number(e.currentTarget.value) || 64)))} />
        </label>
        <JudgeFields value={judge} onChange={setJudge} world={!ready || embedded} testId="judge-kind" />
        <label>
          Seed
          <input type="number" min="0" value={seed} onInput={(e) => setSeed(Math.max(0, Math.floor(Number(e.currentTarget.value) || 0)))} />
        </label>
        <label>
          Benign samples (beyond the paper; 0 is off)
          <input type="number" min="0" max="512" value={benign} onInput={(e) => setBenign(Math.max(0, Math.floor(Number(e.currentTarget.value) || 0)))} />
        </label>
        <fieldset>
          <legend>Filters and revise</legend>
          <label>
            <input type="checkbox" checked={perplexity} onChange={(e) => setPerplexity(e.currentTarget.checked)} /> perplexity band
          </label>
          <label>
            <input type="checkbox" checked={nearDuplicates} onChange={(e) => setNearDuplicates(e.currentTarget.checked)} /> near-duplicates
          </label>
          <label>
            <input type="checkbox" checked={revise} onChange={(e) => setRevise(e.currentTarget.checked)} /> revise unsafe answers
          </label>
          <label title="A tiny model's safe answers are often garbled or echo the prompt instead of refusing; with this on, only answers that open with a refusal are trained on, and the others are asked again with the revise suffix (beyond the paper).">
            <input type="checkbox" checked={requireRefusal} onChange={(e) => setRequireRefusal(e.currentTarget.checked)} /> safe answers must open with a refusal
          </label>
        </fieldset>
      </div>
      <div class="row">
        <button type="button" data-testid="start-replay" disabled={!ready || !!job || busy.value !== null} onClick={() => void start()}>
          Start replay
        </button>
        <button type="button" disabled={!job} onClick={() => void job?.then((id) => studio.engine.cancel(id))}>
          Stop
        </button>
        <span class="status" data-testid="replay-run-status" aria-live="polite">
          {line}
        </span>
      </div>
      {error ? (
        <p class="error" data-testid="replay-run-error">
          {error}
        </p>
      ) : null}
      {replayFunnel.value ? <Funnel f={replayFunnel.value} /> : null}
      {replaySet.value.length ? (
        <>
          <div class="row">
            <label>
              Search <input type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
            </label>
            <span class="hint">
              {shown.length} of {replaySet.value.length} pairs
            </span>
            <button type="button" onClick={() => void studio.engine.replaySetJsonl(replaySet.value).then((text) => downloadFile('replay.jsonl', text, 'application/jsonl'))}>
              Export JSONL
            </button>
          </div>
          <ul class="previews" data-testid="replay-pairs">
            {shown.map((p, i) => (
              <li key={`${p.kind}\u0000${p.source.domain}\u0000${p.source.request}\u0000${p.response}`}>
                <span class="item-label">
                  {p.source.domain} · {p.kind}
                  {p.revised ? ' · revised' : ''} · {p.source.strategy}
                </span>
                <Reveal what="a harmful request the model extracted, and its answer">
                  <p class="prompt">{p.source.request}</p>
                  <p class="answer">{p.response}</p>
                </Reveal>
                <button type="button" class="link" aria-label={`Delete pair ${i + 1}`} onClick={() => void remove(p)}>
                  Delete
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}
