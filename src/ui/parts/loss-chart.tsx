// Live loss curves (uPlot): one series per run, steps on x. Points arrive while training runs.

import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface LossSeries {
  label: string; // 'plain fine-tuning'
  points: [number, number][]; // [step, loss]
}

const COLORS = ['#c0392b', '#1f6fb2', '#17753a', '#8e44ad'];

/** uPlot wants one x array: the union of the steps, each series null where it has no point. */
function aligned(series: LossSeries[]): uPlot.AlignedData {
  const steps = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const ys = series.map((s) => {
    const at = new Map(s.points);
    return steps.map((x) => at.get(x) ?? null);
  });
  return [steps, ...ys];
}

export function LossChart({ series, width }: { series: LossSeries[]; width: number }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = series.map((s) => s.label).join('\u0000');

  useEffect(() => {
    if (!host.current) return;
    plot.current = new uPlot(
      {
        width,
        height: 220,
        scales: { x: { time: false } },
        axes: [{ label: 'step' }, { label: 'loss' }],
        series: [{ label: 'step' }, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true }))],
      },
      aligned(series),
      host.current,
    );
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [labels, width]); // a new set of runs builds a new chart; new points only update the data

  useEffect(() => {
    plot.current?.setData(aligned(series));
  }, [series]);

  return <div ref={host} class="loss-chart" role="img" aria-label={`Training loss by step: ${series.map((s) => `${s.label}, ${s.points.length} points${s.points.length ? `, last ${s.points[s.points.length - 1][1].toFixed(3)}` : ''}`).join('; ')}`} />;
}
