// Learning-rate schedule: linear warm-up, then cosine decay to a floor (`minLrRatio` of the peak).
// Same semantics as Hugging Face transformers' cosine-with-min-lr schedule, which the GR-SAP
// code trains with: warm-up steps W = ceil(warmupRatio · totalSteps); step s (0-based, the
// optimizer step about to run) uses
//   s < W : peak · s / max(1, W)
//   else  : peak · (min + (1 - min) · ½(1 + cos(π · (s - W) / max(1, S - W))))
// One difference: W is at most S − 1, so the last step always learns. (With S = 1 and any
// warm-up, Hugging Face's schedule runs the only step at lr 0 and the run changes nothing.)

export interface ScheduleConfig {
  peakLr: number; // e.g. 2e-4 for LoRA, 2e-6 for full fine-tuning (the paper's default)
  totalSteps: number; // optimizer steps in the whole run
  warmupRatio: number; // 0.1 in the paper's code
  minLrRatio: number; // 0.5: decay to half the peak
}

export function warmupSteps(c: ScheduleConfig): number {
  return Math.max(0, Math.min(Math.ceil(c.warmupRatio * c.totalSteps), c.totalSteps - 1));
}

/** Learning rate for optimizer step `step` (0-based). */
export function learningRate(c: ScheduleConfig, step: number): number {
  const w = warmupSteps(c);
  if (step < w) return (c.peakLr * step) / Math.max(1, w);
  const progress = Math.min(1, (step - w) / Math.max(1, c.totalSteps - w));
  const cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
  return c.peakLr * (c.minLrRatio + (1 - c.minLrRatio) * cosine);
}

export function validateSchedule(c: ScheduleConfig): void {
  const bad = (field: string, why: string) => new Error(`Learning-rate schedule: ${field} ${why}.`);
  if (!(c.peakLr > 0) || !Number.isFinite(c.peakLr)) throw bad('peakLr', `must be a positive number, got ${c.peakLr}`);
  if (!Number.isInteger(c.totalSteps) || c.totalSteps < 1) throw bad('totalSteps', `must be a positive integer, got ${c.totalSteps}`);
  if (!(c.warmupRatio >= 0 && c.warmupRatio < 1)) throw bad('warmupRatio', `must be in [0, 1), got ${c.warmupRatio}`);
  if (!(c.minLrRatio >= 0 && c.minLrRatio <= 1)) throw bad('minLrRatio', `must be in [0, 1], got ${c.minLrRatio}`);
}
