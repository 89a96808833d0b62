// Errors of the storage layer and the small abort/timing helpers every request loop shares.
// A ModelSourceError says what failed, with which file, and what the user can do about it; its
// `kind` lets the UI pick a remedy (ask for a token, fix the repo id, go offline) without parsing text.

export type ModelSourceErrorKind =
  | 'unauthorized' // 401/403: gated or private repo, missing or refused token
  | 'not-found' // 404 or a missing local file
  | 'network' // the server could not be reached, or the connection broke
  | 'http' // any other HTTP status
  | 'integrity' // bytes received do not match what the server or the file format promised
  | 'invalid'; // bad input from the caller (file name, URL)

export interface ModelSourceErrorDetails {
  file?: string; // 'model.safetensors'
  status?: number; // HTTP status, when there was a response
  url?: string;
  /** A later attempt may succeed (network failure, 5xx, 429, cut connection). */
  retryable?: boolean;
}

export class ModelSourceError extends Error {
  readonly kind: ModelSourceErrorKind;
  readonly file?: string;
  readonly status?: number;
  readonly url?: string;
  readonly retryable: boolean;

  constructor(kind: ModelSourceErrorKind, message: string, details: ModelSourceErrorDetails = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ModelSourceError';
    this.kind = kind;
    this.file = details.file;
    this.status = details.status;
    this.url = details.url;
    this.retryable = details.retryable ?? false;
  }
}

/** The error to throw once `signal` has fired: its reason when that is an Error, else an AbortError. */
export function abortError(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return new DOMException(typeof reason === 'string' ? reason : 'The operation was aborted.', 'AbortError');
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError(signal);
}

export function isAbortError(e: unknown): boolean {
  return (e instanceof Error || e instanceof DOMException) && (e.name === 'AbortError' || e.name === 'TimeoutError');
}

/** Waits `ms`, rejecting early with the abort reason when `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Checks a file name given to a model source: relative, '/'-separated, no '..' or empty segments.
 * Names reach file systems and URLs, so a name that could leave the model folder is refused.
 */
export function checkFileName(name: string): void {
  const segments = name.split('/');
  if (name === '' || name.includes('\\') || name.includes('\0') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new ModelSourceError('invalid', `"${name}" is not a valid model file name (relative path with '/' separators, no '..').`, { file: name });
  }
}
