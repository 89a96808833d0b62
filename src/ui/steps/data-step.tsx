// Step 2, Data: the embedded world's tasks (what fine-tuning trains on) and the evaluation sets
// (what the results count), with a few examples of each; harmful prompts behind a warning. Below,
// the user's own task data: a file read in the worker, checked, split, previewed and kept here.

import { useEffect, useState } from 'preact/hooks';
import type { ExamplePreview, WorldOverview } from '../../studio/api';
import { preset } from '../demo';
import { Reveal } from '../parts/reveal';
import type { Studio } from '../state';
import { keepUserDataset, userDataset, userExamples } from '../user-dataset';

const LAYOUT_NAMES: Record<string, string> = { messages: 'messages', conversations: 'ShareGPT conversations', alpaca: 'Alpaca instruction/input/output', prompt: 'prompt/completion' };
const clip = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n)}…` : s);

function OwnData({ studio }: { studio: Studio }) {
  const [error, setError] = useState<string | null>(null);
  const [reading, setReading] = useState(false);
  const d = userDataset.value;

  async function read(file: File | undefined) {
    if (!file) return;
    setError(null);
    setReading(true);
    try {
      await keepUserDataset(await studio.engine.readUserDataset(file.name, await file.text()));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setReading(false);
    }
  }

  return (
    <>
      <h3>Your own task data</h3>
      <p class="hint">
        A file on this computer: JSON Lines, a JSON array or CSV with a header row, in the messages, ShareGPT, Alpaca (instruction/input/output) or prompt/completion layout. It is
        read in this tab and kept in this browser; it is never uploaded. The Train step can fine-tune on its train split.
      </p>
      <label>
        Dataset file <input type="file" accept=".jsonl,.ndjson,.json,.csv" data-testid="dataset-file" disabled={reading} onChange={(e) => void read(e.currentTarget.files?.[0])} />
      </label>
      {error ? (
        <p class="error" role="alert" data-testid="dataset-error">
          {error}
        </p>
      ) : null}
      {d ? (
        <div data-testid="own-dataset">
          <p>
            <strong>{d.name}</strong>: {d.examples.length} examples (
            {Object.entries(d.layouts)
              .map(([layout, n]) => `${n} ${LAYOUT_NAMES[layout] ?? layout}`)
              .join(', ')}
            ), split by a shuffle with seed {d.seed} into <span data-testid="dataset-split">{d.split.train.length} train, {d.split.validation.length} validation, {d.split.test.length} test</span>.{' '}
            <button type="button" onClick={() => void keepUserDataset(null)}>
              Remove
            </button>
          </p>
          {d.split.validation.length === 0 ? <p class="hint">Fewer than 10 examples: all of them train, and none is held out.</p> : null}
          <p class="hint" data-testid="dataset-measure">
            The Train step trains on the train split. The Results step measures the task on the test split: by default an answer is correct when it contains the reference
            answer; exact match, or the held-out loss of the reference answers, can be picked there, beside your harmful and over-refusal prompts (AdvBench's CSV, or the
            project's small built-in sets).
          </p>
          <ul class="previews" data-testid="dataset-preview">
            {userExamples(d, 'train')
              .slice(0, 3)
              .map((e, i) => (
                <li key={i}>
                  <span class="prompt">{clip(e.messages.filter((m) => m.role !== 'assistant').at(-1)?.content ?? '')}</span>
                  <span class="answer"> → {clip(e.messages.at(-1)!.content)}</span>
                </li>
              ))}
          </ul>
        </div>
      ) : null}
    </>
  );
}

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
      <OwnData studio={studio} />
    </div>
  );
}
