// What the page may contact, enforced by a Content-Security-Policy. The page itself (the app, the
// embedded model, onnxruntime-web's wasm, all served beside it); the Hugging Face Hub and the hosts
// its file downloads redirect to; and any other origin only after the user allows it for a model
// URL. The policy is a <meta> element written before the app loads (boot.ts), so it also holds on a
// static host that sets no headers, and the engine worker is started from a blob: URL so that it
// inherits the page's policy (a worker loaded from its own URL would get only its response's
// headers). Allowed origins are kept in localStorage; a policy can only be tightened once set, so
// allowing an origin takes a reload.

/** The Hub's API and downloads: huggingface.co redirects file downloads to hosts under hf.co (Xet and LFS CDNs). */
export const HUB_SOURCES = ['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co'] as const;

const ALLOWED_KEY = 'grsap-allowed-origins';

export class PrivacyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrivacyError';
  }
}

/** The policy, one directive per entry; `dev` adds what the Vite dev server needs (its injected styles). */
export function policyDirectives(allowedOrigins: readonly string[] = [], options: { dev?: boolean } = {}): string[] {
  return [
    "default-src 'self'",
    // onnxruntime-web compiles its wasm: 'wasm-unsafe-eval' allows that and nothing else (no eval()).
    "script-src 'self' 'wasm-unsafe-eval'",
    // The engine worker starts from a blob: URL that imports its module from the page's origin.
    "worker-src 'self' blob:",
    `connect-src 'self' ${[...HUB_SOURCES, ...allowedOrigins].join(' ')}`,
    options.dev ? "style-src 'self' 'unsafe-inline'" : "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
  ];
}

export function contentSecurityPolicy(allowedOrigins: readonly string[] = [], options: { dev?: boolean } = {}): string {
  return policyDirectives(allowedOrigins, options).join('; ');
}

/**
 * The policy a host sends as a header, beside the page's <meta> policy. Both apply (a request must
 * pass each), so the header cannot widen what the meta allows: it leaves connect-src to the meta
 * (which holds the origins the user allowed) and adds what only a header can say, frame-ancestors
 * (no other site may frame the page).
 */
export function headerPolicy(): string {
  return [...policyDirectives().map((d) => (d.startsWith('connect-src ') ? "connect-src 'self' https: http:" : d)), "frame-ancestors 'none'"].join('; ');
}

/** Cross-origin isolation, so onnxruntime-web's wasm can use threads (SharedArrayBuffer). */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } as const;

/** Headers for the built app, as the preview server sends them and as `_headers` asks hosts that read it (Netlify, Cloudflare Pages). */
export function hostHeaders(): Record<string, string> {
  return { ...ISOLATION_HEADERS, 'Content-Security-Policy': headerPolicy() };
}

/** The origin of an http(s) URL, as a policy source; throws a PrivacyError naming the input otherwise. */
export function originOf(url: string, base?: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url, base);
  } catch {
    throw new PrivacyError(`"${url}" is not a URL; type one such as https://example.org/models/my-model/.`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new PrivacyError(`"${url}" is not an http(s) URL; models load over http or https only.`);
  return parsed.origin;
}

/** True when the policy's connect-src lets the page fetch `url` (from a page at `pageOrigin`). */
export function mayContact(url: string, pageOrigin: string, allowedOrigins: readonly string[] = []): boolean {
  const target = new URL(url, pageOrigin);
  if (target.origin === pageOrigin) return true;
  if (allowedOrigins.includes(target.origin)) return true;
  if (target.protocol !== 'https:' || target.port !== '') return false;
  const host = target.hostname.toLowerCase();
  return host === 'huggingface.co' || host.endsWith('.huggingface.co') || host.endsWith('.hf.co');
}

interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

function storage(): StorageLike | null {
  try {
    return (globalThis as { localStorage?: StorageLike }).localStorage ?? null;
  } catch {
    return null; // blocked storage (some privacy modes): nothing beyond the defaults is allowed
  }
}

/** Origins the user allowed beyond the page and the Hub, oldest first. */
export function allowedOrigins(store: StorageLike | null = storage()): string[] {
  const raw = store?.getItem(ALLOWED_KEY);
  if (!raw) return [];
  try {
    const list = JSON.parse(raw) as unknown;
    // Only well-formed origins reach the policy: a stored value cannot inject a directive.
    return Array.isArray(list) ? list.filter((o): o is string => typeof o === 'string' && /^https?:\/\/[a-z0-9.-]+(:\d+)?$/i.test(o)) : [];
  } catch {
    return [];
  }
}

export function setAllowedOrigins(origins: readonly string[], store: StorageLike | null = storage()): void {
  if (!store) throw new PrivacyError('This browser blocks local storage for this page, so no other host can be allowed; use a model from the Hub or a folder on this computer.');
  store.setItem(ALLOWED_KEY, JSON.stringify([...new Set(origins)]));
}

/** Write the policy into the document's head; call before anything else of the app runs. */
export function applyContentSecurityPolicy(doc: Document, options: { dev?: boolean } = {}): string {
  const policy = contentSecurityPolicy(allowedOrigins(), options);
  const meta = doc.createElement('meta');
  meta.httpEquiv = 'Content-Security-Policy';
  meta.content = policy;
  doc.head.prepend(meta);
  return policy;
}
