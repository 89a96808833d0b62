// Step 4, Train: the settings every trained arm of the demo uses, the units' status, and the live
// loss curves of the runs trained in this session.

import { losses, preset, snapshot } from '../demo';
import { LossChart } from '../parts/loss-chart';
import type { Studio } from '../state';
import { TrainRun } from './train-run';

export function TrainStep({ studio }: { studio: Studio }) {
  const p = preset.value;
  const snap = snapshot.value;
  const series = Object.values(losses.value);
  const t = p?.train;
  const r = p?.arms.find((a) => a.id === 'grsap')?.ratio;
  const replayRows = p && r !== undefined ? Math.round(r * p.taskExamples) : null;
  return (
    <div>
      <p class="explain">
        Each arm fine-tunes its own LoRA adapter from the same aligned model: plain fine-tuning on the task data alone, GR-SAP on the same task data with a few replay rows
        added{r !== undefined ? ` (r = ${r}: ${Math.round(r * 100)} for every 100 task rows)` : ''}. Only the data differs, so any difference in safety comes from the replay.
      </p>
      <h3>The demo's settings</h3>
      {t ? (
        <table class="kv" data-testid="train-settings">
          <tbody>
            <tr><th scope="row">method</th><td>{t.method === 'lora' ? `LoRA r ${t.lora.r}, alpha ${t.lora.alpha}, dropout ${t.lora.dropout}` : 'full fine-tuning'}</td></tr>
            <tr><th scope="row">learning rate</th><td>{t.lr} (warm-up {Math.round(t.warmupRatio * 100)} %, cosine to {Math.round(t.minLrRatio * 100)} %)</td></tr>
            <tr><th scope="row">epochs × batch</th><td>{t.epochs} × {t.batchSize}{t.gradAccumulation > 1 ? ` × ${t.gradAccumulation} accumulated` : ''}</td></tr>
            <tr><th scope="row">max length</th><td>{t.maxLength} tokens</td></tr>
            <tr><th scope="row">task examples</th><td>{p.taskExamples}</td></tr>
            <tr><th scope="row">replay rows</th><td>{replayRows !== null ? `${replayRows} (r = ${r}), ` : ''}{p.mixMode === 'on-top' ? 'on top of the task rows' : 'in place of task rows'}</td></tr>
          </tbody>
        </table>
      ) : null}
      {snap ? (
        <table class="sizes" data-testid="units">
          <thead>
            <tr><th scope="col">unit</th><th scope="col">status</th><th scope="col">seconds</th></tr>
          </thead>
          <tbody>
            {snap.units.map((u) => (
              <tr key={u.id}><th scope="row">{u.id.replace(/__/g, ' · ')}</th><td>{u.status}</td><td>{u.seconds.toFixed(0)}</td></tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <h3>The demo's training loss</h3>
      {series.length ? <LossChart series={series} /> : <p class="hint">The loss curves appear here while the demo trains (Results step).</p>}
      <TrainRun studio={studio} />
    </div>
  );
}
