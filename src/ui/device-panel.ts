// The device panel: which adapter the engine got, its limits and features, and the kernel
// self-check (every WGSL op against its CPU reference, run in the worker) on request: it takes a
// while on a software adapter and would hold up the model and the demo behind it.

import type { Remote } from 'comlink';
import type { CheckResult, DeviceReport, StudioApi } from '../studio/api';
import { runJob } from '../worker/client';
import { formatBytes, h } from './dom';

export function devicePanel(engine: Remote<StudioApi>): HTMLElement {
  const info = h('div', { class: 'device-info' }, 'Looking for a WebGPU adapter…');
  const checkBody = h('tbody');
  const summary = h('p', { class: 'check-summary', 'data-testid': 'selfcheck-summary' });
  const runButton = h('button', { type: 'button', onclick: () => void runChecks() }, 'Run kernel self-check');
  const panel = h(
    'section',
    { class: 'device-panel' },
    info,
    h('h3', {}, 'Kernel self-check'),
    h('p', { class: 'hint' }, 'Each WGSL kernel runs once on random data and is compared with its CPU reference.'),
    runButton,
    summary,
    h('table', { class: 'checks' }, h('thead', {}, h('tr', {}, h('th', {}, 'op'), h('th', {}, 'result'), h('th', {}, 'max |error|'), h('th', {}, 'ms'))), checkBody),
  );

  async function describe(): Promise<boolean> {
    try {
      const report = await engine.describeDevice();
      info.replaceChildren(deviceTable(report));
      return true;
    } catch (e) {
      info.replaceChildren(h('p', { class: 'error', 'data-testid': 'device-error' }, String(e instanceof Error ? e.message : e)));
      runButton.disabled = true;
      return false;
    }
  }

  async function runChecks(): Promise<void> {
    runButton.disabled = true;
    checkBody.replaceChildren();
    summary.textContent = 'Running…';
    const { end } = runJob<CheckResult, CheckResult[]>(
      (listener) => engine.selfCheck(listener),
      (p) => {
        if (p.payload) checkBody.append(checkRow(p.payload));
        summary.textContent = `Running… ${p.done} of ${p.total}`;
      },
    );
    const outcome = await end;
    runButton.disabled = false;
    if (outcome.status !== 'done') {
      summary.textContent = `Self-check could not run: ${outcome.status === 'failed' ? outcome.error : 'cancelled'}`;
      summary.dataset.state = 'failed';
      return;
    }
    const results = outcome.result;
    const failed = results.filter((r) => !r.ok).length;
    summary.textContent = failed ? `${failed} of ${results.length} kernels FAILED` : `All ${results.length} kernels match their CPU references`;
    summary.dataset.state = failed ? 'failed' : 'passed';
  }

  void describe();
  return panel;
}

function deviceTable(r: DeviceReport): HTMLElement {
  const rows: [string, string][] = [
    ['adapter', [r.adapter.vendor, r.adapter.architecture, r.adapter.device].filter(Boolean).join(' · ') || '(not reported)'],
    ['kind', r.adapter.isSoftware ? 'software (CPU) adapter: expect low speed' : 'hardware'],
    ['max buffer', formatBytes(r.limits.maxBufferSize)],
    ['max storage binding', formatBytes(r.limits.maxStorageBufferBindingSize)],
    ['workgroup storage', formatBytes(r.limits.maxComputeWorkgroupStorageSize)],
    ['invocations / workgroup', String(r.limits.maxComputeInvocationsPerWorkgroup)],
    ['shader-f16', r.features.shaderF16 ? 'yes' : 'no (f32 only)'],
    ['subgroups', r.features.subgroups ? 'yes' : 'no'],
    ['timestamp-query', r.features.timestampQuery ? 'yes' : 'no'],
  ];
  return h('table', { class: 'kv', 'data-testid': 'device-table' }, ...rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))));
}

function checkRow(r: CheckResult): HTMLElement {
  return h(
    'tr',
    { class: r.ok ? 'ok' : 'bad', title: r.detail ?? '' },
    h('td', {}, r.op),
    h('td', {}, r.ok ? 'ok' : 'FAIL'),
    h('td', {}, Number.isFinite(r.maxError) ? r.maxError.toExponential(2) : '—'),
    h('td', {}, r.ms.toFixed(0)),
  );
}
