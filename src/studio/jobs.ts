// Every long operation is a job: it reports progress in one shape, can be cancelled by its id, and
// ends with exactly one final event. Progress and the end travel through the same listener, so in
// the browser (where the listener is a comlink proxy on one message port) the end event is always
// the last one the page sees: no late progress after a result.

/** Progress of any long operation. */
export interface JobProgress<P = unknown> {
  phase: string; // what runs now: 'download', 'upload', 'train', 'eval', 'generate', 'check', …
  done: number; // units done in this phase
  total: number | null; // units in this phase, when known
  unit: 'bytes' | 'steps' | 'tokens' | 'items'; // what done/total count
  rate: number | null; // units per second, when measurable
  etaSec: number | null; // seconds left in this phase
  payload?: P; // a loss point, a generated row, a check result, …
}

export type JobStatus = 'done' | 'cancelled' | 'failed';

/**
 * The final event. A cancelled job keeps what it completed (`result` holds the finished part where
 * the operation has one, e.g. the rows generated so far or the last checkpoint of a training run);
 * a failed one carries the error message.
 */
export type JobEnd<R> =
  | { status: 'done'; result: R }
  | { status: 'cancelled'; result: R | null }
  | { status: 'failed'; error: string };

export type JobEvent<P, R> = ({ kind: 'progress' } & JobProgress<P>) | ({ kind: 'end' } & JobEnd<R>);

export type JobListener<P, R> = (event: JobEvent<P, R>) => void;

export type JobId = string;

/** Thrown inside a job when its signal fires; the job runner turns it into a 'cancelled' end. */
export class JobCancelledError extends Error {
  constructor(readonly partial: unknown = null) {
    super('cancelled');
    this.name = 'AbortError';
  }
}

export function isCancellation(e: unknown, signal: AbortSignal): boolean {
  return signal.aborted || e instanceof JobCancelledError || (e as { name?: string } | null)?.name === 'AbortError';
}

/** Rate and ETA of a phase from its start time and progress. */
export function progressOf<P>(phase: string, unit: JobProgress['unit'], done: number, total: number | null, startedMs: number, payload?: P): JobProgress<P> {
  const seconds = (performance.now() - startedMs) / 1000;
  const rate = seconds > 0 && done > 0 ? done / seconds : null;
  const etaSec = rate && total !== null ? Math.max(0, (total - done) / rate) : null;
  return payload === undefined ? { phase, done, total, unit, rate, etaSec } : { phase, done, total, unit, rate, etaSec, payload };
}

export interface JobContext<P> {
  signal: AbortSignal;
  progress(p: JobProgress<P>): void;
}

/**
 * Runs jobs one at a time (they share one GPU) in the order they were started. A job's work is an
 * async function of its context; `cancel(id)` aborts a running job or drops a queued one, which
 * then ends 'cancelled' without having run.
 */
export class JobQueue {
  private next = 1;
  private tail: Promise<void> = Promise.resolve();
  private controllers = new Map<JobId, AbortController>();

  start<P, R>(kind: string, work: (ctx: JobContext<P>) => Promise<R>, listener?: JobListener<P, R>, finish?: (end: JobEnd<R>) => JobEnd<R>): JobId {
    const id = `${kind}-${this.next++}`;
    const controller = new AbortController();
    this.controllers.set(id, controller);
    const emit = (e: JobEvent<P, R>) => {
      try {
        listener?.(e);
      } catch {
        // A listener that throws (a closed page) must not break the job or the queue.
      }
    };
    const run = async () => {
      let end: JobEnd<R>;
      const signal = controller.signal;
      if (signal.aborted) end = { status: 'cancelled', result: null };
      else {
        try {
          const result = await work({ signal, progress: (p) => emit({ kind: 'progress', ...p }) });
          end = signal.aborted ? { status: 'cancelled', result } : { status: 'done', result };
        } catch (e) {
          if (isCancellation(e, signal)) end = { status: 'cancelled', result: e instanceof JobCancelledError ? (e.partial as R | null) : null };
          else end = { status: 'failed', error: e instanceof Error ? e.message : String(e) };
        }
      }
      this.controllers.delete(id);
      emit({ kind: 'end', ...(finish ? finish(end) : end) });
    };
    this.tail = this.tail.then(run);
    return id;
  }

  /** Cancel a running or queued job; unknown or finished ids are ignored. */
  cancel(id: JobId): void {
    this.controllers.get(id)?.abort();
  }

  cancelAll(): void {
    for (const c of this.controllers.values()) c.abort();
  }

  /** Resolves when every job started so far has ended. */
  idle(): Promise<void> {
    return this.tail;
  }
}

/** Await a job's end from its listener: resolves with the end event, forwarding progress. */
export function jobResult<P, R>(start: (listener: JobListener<P, R>) => JobId | Promise<JobId>, onProgress?: (p: JobProgress<P>) => void): { id: Promise<JobId>; end: Promise<JobEnd<R>> } {
  let resolve!: (end: JobEnd<R>) => void;
  const end = new Promise<JobEnd<R>>((r) => (resolve = r));
  const id = Promise.resolve(
    start((e) => {
      if (e.kind === 'end') {
        const { kind: _kind, ...rest } = e;
        resolve(rest as JobEnd<R>);
      } else {
        const { kind: _kind, ...p } = e;
        onProgress?.(p as JobProgress<P>);
      }
    }),
  );
  return { id, end };
}
