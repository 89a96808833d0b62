// The page: five steps (Model · Data · Replay · Train · Results) as keyboard-reachable tabs, the
// GPU details with the kernel self-check, the storage panel and what the page may contact. Every
// step stays mounted, so a running job's progress is never lost by switching steps.

import type { ComponentType } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { devicePanel } from './device-panel';
import { PrivacyPanel } from './parts/privacy-panel';
import { StoragePanel } from './parts/storage-panel';
import { device, deviceLost, type Studio } from './state';
import { DataStep } from './steps/data-step';
import { ModelStep } from './steps/model-step';
import { ReplayStep } from './steps/replay-step';
import { ResultsStep } from './steps/results-step';
import { TrainStep } from './steps/train-step';

interface Step {
  id: string;
  title: string;
  view: ComponentType<{ studio: Studio }>;
}

export const STEPS: Step[] = [
  { id: 'model', title: 'Model', view: ModelStep },
  { id: 'data', title: 'Data', view: DataStep },
  { id: 'replay', title: 'Replay', view: ReplayStep },
  { id: 'train', title: 'Train', view: TrainStep },
  { id: 'results', title: 'Results', view: ResultsStep },
];

function stepFromHash(): number {
  const i = STEPS.findIndex((s) => `#${s.id}` === location.hash);
  return i < 0 ? 0 : i;
}

function NoWebGpu() {
  const d = device.value;
  if (d.kind !== 'unavailable') return null;
  return (
    <div class="notice" role="alert" data-testid="no-webgpu">
      <strong>WebGPU is not available here, so the model cannot run in this browser.</strong> ({d.message}) Use a current Chrome or Edge (113 or later), Safari 26 or later, or
      Firefox 141 or later on Windows; if it is still blocked, enable hardware acceleration in the browser's settings, or on Linux start Chromium with{' '}
      <code>--enable-unsafe-webgpu</code>. The Data step and any committed results below still work.
    </div>
  );
}

function LostDevice() {
  if (deviceLost.value === null) return null;
  return (
    <div class="notice" role="alert" data-testid="device-lost">
      <strong>The GPU device was lost</strong> ({deviceLost.value}), so nothing more can run on it in this page. This usually means GPU memory ran out or the driver reset. Reload the
      page: the demo and any paused training run continue from their last checkpoint.{' '}
      <button type="button" onClick={() => location.reload()}>
        Reload
      </button>
    </div>
  );
}

function DevicePanelMount({ studio }: { studio: Studio }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    host.current?.replaceChildren(devicePanel(studio.engine));
  }, []);
  return <div ref={host} />;
}

export function App({ studio }: { studio: Studio }) {
  const [active, setActive] = useState(stepFromHash);
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);

  useEffect(() => {
    const on = () => setActive(stepFromHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);

  function select(i: number, focus = false) {
    setActive(i);
    history.replaceState(null, '', `#${STEPS[i].id}`);
    if (focus) tabs.current[i]?.focus();
  }

  function onKey(e: KeyboardEvent) {
    const last = STEPS.length - 1;
    const next = e.key === 'ArrowRight' ? (active === last ? 0 : active + 1) : e.key === 'ArrowLeft' ? (active === 0 ? last : active - 1) : e.key === 'Home' ? 0 : e.key === 'End' ? last : null;
    if (next === null) return;
    e.preventDefault();
    select(next, true);
  }

  return (
    <>
      <NoWebGpu />
      <LostDevice />
      <nav class="steps" role="tablist" aria-label="Steps of the demo" onKeyDown={onKey}>
        {STEPS.map((s, i) => (
          <button
            type="button"
            role="tab"
            key={s.id}
            id={`tab-${s.id}`}
            aria-selected={i === active}
            aria-controls={`step-${s.id}`}
            tabIndex={i === active ? 0 : -1}
            ref={(el) => {
              tabs.current[i] = el;
            }}
            onClick={() => select(i)}
          >
            <span class="step-number">{i + 1}</span> {s.title}
          </button>
        ))}
      </nav>
      {STEPS.map((s, i) => (
        <section class="panel step" role="tabpanel" id={`step-${s.id}`} aria-labelledby={`tab-${s.id}`} hidden={i !== active} key={s.id} data-testid={`step-${s.id}`} tabIndex={0}>
          <h2>
            {i + 1}. {s.title}
          </h2>
          <s.view studio={studio} />
        </section>
      ))}
      <details class="panel" id="device">
        <summary>
          <h2>GPU and kernel self-check</h2>
        </summary>
        <DevicePanelMount studio={studio} />
      </details>
      <StoragePanel studio={studio} />
      <PrivacyPanel />
    </>
  );
}
