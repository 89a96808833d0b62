// Step 2, Data: the embedded world's tasks (what fine-tuning trains on) and the evaluation sets
// (what the results count), with a few examples of each; harmful prompts behind a warning.

import { useEffect, useState } from 'preact/hooks';
import type { ExamplePreview, WorldOverview } from '../../studio/api';
import { preset } from '../demo';
import { Reveal } from '../parts/reveal';
import type { Studio } from '../state';

function Example({ e }: { e: ExamplePreview }) {
  return (
    <>
      <span class="prompt">{e.prompt}</span>
      {e.answer ? <span class="answer"> → {e.answer}</span> : null}
    </>
  );
}

export function DataStep({ studio }: { studio: Studio }) {
  const [world, setWorld] = useState<WorldOverview | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    studio.engine.worldOverview().then(setWorld, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);

  return (
    <div>
      <p class="explain">
        The demo model lives in a small synthetic world: its tasks are what we fine-tune it on, and its held-out harmful prompts measure how often the tuned model complies with
        something it used to refuse. Scary-sounding but harmless prompts catch the opposite failure, refusing too much.
      </p>
      {error ? <p class="error">Could not build the world: {error}</p> : null}
      {!world && !error ? <p class="hint">Building the world…</p> : null}
      {world ? (
        <>
          <h3>Tasks</h3>
          <p class="hint">The demo fine-tunes on the first {preset.value?.taskExamples ?? '…'} examples of the chat task's train split; accuracy is measured on the test split.</p>
          <table class="sizes" data-testid="task-table">
            <thead>
              <tr>
                <th scope="col">task</th>
                <th scope="col">train</th>
                <th scope="col">validation</th>
                <th scope="col">test</th>
                <th scope="col">example</th>
              </tr>
            </thead>
            <tbody>
              {world.tasks.map((t) => (
                <tr key={t.name}>
                  <th scope="row">{t.name}</th>
                  <td>{t.train}</td>
                  <td>{t.validation}</td>
                  <td>{t.test}</td>
                  <td class="example">{t.preview[0] ? <Example e={t.preview[0]} /> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Evaluation sets</h3>
          <table class="sizes" data-testid="eval-table">
            <tbody>
              <tr>
                <th scope="row">harmful prompts</th>
                <td>
                  {world.harmful.dev} dev + {world.harmful.test} test, over {world.harmful.domains.length} harm domains (figures come from the test half only)
                </td>
              </tr>
              <tr>
                <th scope="row">over-refusal prompts</th>
                <td>{world.overRefusal.size} scary-sounding but harmless requests</td>
              </tr>
              <tr>
                <th scope="row">benign checks</th>
                <td>{world.benignChecks} everyday skills with expected answers</td>
              </tr>
            </tbody>
          </table>
          <h4>Harmful prompts (test half)</h4>
          <ul class="previews" data-testid="harmful-preview">
            {world.harmful.preview.map((e, i) => (
              <li key={i}>
                <span class="item-label">{e.domain}</span>
                <Reveal what="a harmful request">
                  <span class="prompt">{e.prompt}</span>
                </Reveal>
              </li>
            ))}
          </ul>
          <h4>Over-refusal prompts</h4>
          <ul class="previews">
            {world.overRefusal.preview.map((e, i) => (
              <li key={i}>
                <Example e={e} />
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}
