// Numeric comparison in the style of llm.c: |a - r| <= atol + rtol·|r|, non-finite references
// skipped, the first mismatches reported with their indices. Used by tests and the self-check.

export interface Tolerance {
  atol: number;
  rtol: number;
}

export function mismatches(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, limit = 8): { count: number; lines: string[]; checked: number } {
  if (actual.length !== expected.length) {
    return { count: 1, checked: 0, lines: [`length ${actual.length} != expected ${expected.length}`] };
  }
  let count = 0;
  let checked = 0;
  const lines: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const r = expected[i];
    if (!Number.isFinite(r)) continue;
    checked++;
    const a = actual[i];
    if (!(Math.abs(a - r) <= tol.atol + tol.rtol * Math.abs(r))) {
      count++;
      if (lines.length < limit) lines.push(`  [${i}] got ${a}, expected ${r} (diff ${Math.abs(a - r).toExponential(2)})`);
    }
  }
  return { count, lines, checked };
}

/** Throw with the first mismatches when `actual` is not close to `expected`. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, label = 'tensor'): void {
  const m = mismatches(actual, expected, tol);
  if (m.count > 0) {
    throw new Error(`${label}: ${m.count} of ${m.checked} values differ (atol ${tol.atol}, rtol ${tol.rtol}):\n${m.lines.join('\n')}`);
  }
  if (m.checked === 0 && expected.length > 0) throw new Error(`${label}: no finite reference values to compare.`);
}

/** Largest |x|, for errors measured relative to a tensor's scale. */
export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}
