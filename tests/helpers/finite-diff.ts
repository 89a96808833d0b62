// Central finite differences in f64 for checking backward passes of the CPU references.

/**
 * Gradient of the scalar L(x) = Σ f(x)·weights w.r.t. x, by central differences.
 * `f` must compute in f64 (the CPU references do).
 */
export function numericGradient(
  f: (x: Float64Array) => ArrayLike<number>,
  x: ArrayLike<number>,
  weights: ArrayLike<number>,
  eps = 1e-6,
): Float64Array {
  const xs = Float64Array.from(x);
  const grad = new Float64Array(xs.length);
  const dot = (y: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * weights[i];
    return s;
  };
  for (let i = 0; i < xs.length; i++) {
    const orig = xs[i];
    xs[i] = orig + eps;
    const plus = dot(f(xs));
    xs[i] = orig - eps;
    const minus = dot(f(xs));
    xs[i] = orig;
    grad[i] = (plus - minus) / (2 * eps);
  }
  return grad;
}
