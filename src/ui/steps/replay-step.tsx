// Step 3, Replay: what GR-SAP's replay is, the demo's replay phase as it runs, and the replay set
// the run kept (requests behind a content warning, revealed one at a time).

import { preset, replayLine, snapshot } from '../demo';
import { Reveal } from '../parts/reveal';
import type { Studio } from '../state';
import { ReplayRun } from './replay-run';

export function ReplayStep({ studio }: { studio: Studio }) {
  const snap = snapshot.value;
  const p = preset.value;
  const sets = snap?.replay ?? [];
  return (
    <div>
      <p class="explain">
        Before tuning, the model is asked to write the kind of harmful requests it was taught to refuse, and to answer them itself. Answers the judge finds safe are kept as they
        are; unsafe ones are revised into refusals. These replayed pairs are the model's own safety data: no original alignment set is needed.
      </p>
      {p ? (
        <p class="hint" data-testid="replay-settings">
          The demo draws {p.replay.samplesPerDomain} requests per harm domain ({p.replay.maxNewTokens} tokens each) and answers with up to {p.replay.responseTokens} tokens; the
          perplexity band and near-duplicate filters drop odd and repeated requests.
        </p>
      ) : null}
      {replayLine.value ? (
        <p class="status" aria-live="polite" data-testid="replay-progress">
          {replayLine.value}
        </p>
      ) : null}
      <h3>The demo's replay set</h3>
      {sets.length === 0 ? <p class="hint">None yet: it is built when the demo runs (Results step).</p> : null}
      {sets.map((s) => (
        <div key={s.seed} data-testid="replay-set">
          <h4>
            Seed {s.seed}: {s.pairs.length} pairs ({s.pairs.filter((x) => x.kind === 'hard').length} hard, {s.pairs.filter((x) => x.revised).length} revised)
          </h4>
          <ul class="previews">
            {s.pairs.map((x, i) => (
              <li key={i}>
                <span class="item-label">
                  {x.domain} · {x.kind}
                  {x.revised ? ' · revised' : ''}
                </span>
                <Reveal what="a harmful request the model extracted, and its answer">
                  <p class="prompt">{x.request}</p>
                  <p class="answer">{x.response}</p>
                </Reveal>
              </li>
            ))}
          </ul>
        </div>
      ))}
      <ReplayRun studio={studio} />
    </div>
  );
}
