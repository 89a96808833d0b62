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

/** The chart fills its container's width, following it as the window resizes (1280 px desk, 768 px tablet). */
export function LossChart({ series }: { series: LossSeries[] }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = series.map((s) => s.label).join('\u0000');

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const width = () => Math.max(240, (el.parentElement?.clientWidth ?? 600) - 8);
    plot.current = new uPlot(
      {
        width: width(),
        height: 220,
        scales: { x: { time: false } },
        axes: [{ label: 'step' }, { label: 'loss' }],
        series: [{ label: 'step' }, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true }))],
      },
      aligned(series),
      el,
    );
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: width(), height: 220 }));
    if (el.parentElement) resize.observe(el.parentElement);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [labels]); // a new set of runs builds a new chart; new points only update the data

  useEffect(() => {
    plot.current?.setData(aligned(series));
  }, [series]);

  return <div ref={host} class="loss-chart" role="img" aria-label={`Training loss by step: ${series.map((s) => `${s.label}, ${s.points.length} points${s.points.length ? `, last ${s.points[s.points.length - 1][1].toFixed(3)}` : ''}`).join('; ')}`} />;
}
