// The page's Content-Security-Policy: its directives, which URLs it lets the page contact, and the
// user's allowed origins as stored (malformed entries never reach the policy).
import { describe, expect, it } from 'vitest';
import { allowedOrigins, contentSecurityPolicy, headerPolicy, mayContact, originOf, policyDirectives, PrivacyError, setAllowedOrigins } from '../../src/ui/privacy';

class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

const directive = (policy: string, name: string) => policy.split('; ').find((d) => d.startsWith(`${name} `));

describe('content security policy', () => {
  it('allows the page, the Hub and its download hosts, and wasm compilation but not eval', () => {
    const policy = contentSecurityPolicy();
    expect(directive(policy, 'connect-src')).toBe("connect-src 'self' https://huggingface.co https://*.huggingface.co https://*.hf.co");
    expect(directive(policy, 'script-src')).toBe("script-src 'self' 'wasm-unsafe-eval'");
    expect(policy).not.toContain("'unsafe-eval'");
    expect(directive(policy, 'default-src')).toBe("default-src 'self'");
    expect(directive(policy, 'object-src')).toBe("object-src 'none'");
    expect(directive(policy, 'style-src')).toBe("style-src 'self'");
    expect(directive(contentSecurityPolicy([], { dev: true }), 'style-src')).toBe("style-src 'self' 'unsafe-inline'");
  });

  it('as a header: the same directives, connect-src left to the meta policy, and no framing', () => {
    const header = headerPolicy();
    expect(directive(header, 'connect-src')).toBe("connect-src 'self' https: http:");
    expect(directive(header, 'frame-ancestors')).toBe("frame-ancestors 'none'");
    const others = (p: string) => p.split('; ').filter((d) => !/^(connect-src|frame-ancestors) /.test(d));
    expect(others(header)).toEqual(others(contentSecurityPolicy()));
  });

  it('adds only the origins the user allowed to connect-src', () => {
    const policy = contentSecurityPolicy(['http://localhost:8080', 'https://models.example.org']);
    expect(directive(policy, 'connect-src')).toMatch(/ https:\/\/\*\.hf\.co http:\/\/localhost:8080 https:\/\/models\.example\.org$/);
    expect(policyDirectives(['https://a.example']).filter((d) => d.includes('a.example'))).toEqual(["connect-src 'self' https://huggingface.co https://*.huggingface.co https://*.hf.co https://a.example"]);
  });

  it('says which URLs it lets the page contact', () => {
    const page = 'http://127.0.0.1:5173';
    expect(mayContact('models/grsap-organism/config.json', page)).toBe(true);
    expect(mayContact('https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct/resolve/main/config.json', page)).toBe(true);
    expect(mayContact('https://us.aws.cdn.hf.co/xet-bridge-us/abc', page)).toBe(true);
    expect(mayContact('https://cas-bridge.xethub.hf.co/xet-bridge-us/abc', page)).toBe(true);
    expect(mayContact('http://huggingface.co/x', page)).toBe(false); // the policy names https only
    expect(mayContact('https://huggingface.co:8443/x', page)).toBe(false);
    expect(mayContact('https://evilhf.co/x', page)).toBe(false);
    expect(mayContact('https://hf.co.example.org/x', page)).toBe(false);
    expect(mayContact('http://localhost:5173/m/config.json', page)).toBe(false);
    expect(mayContact('http://localhost:5173/m/config.json', page, ['http://localhost:5173'])).toBe(true);
  });

  it('names a bad URL', () => {
    expect(originOf('https://models.example.org/a/b/')).toBe('https://models.example.org');
    expect(() => originOf('ftp://example.org/model/')).toThrow(PrivacyError);
    expect(() => originOf('http://exa mple.org/')).toThrow(/"http:\/\/exa mple.org\/" is not a URL/);
  });

  it('keeps allowed origins, deduplicated, and drops anything that is not an origin', () => {
    const store = new MemoryStorage();
    expect(allowedOrigins(store)).toEqual([]);
    setAllowedOrigins(['http://localhost:8080', 'http://localhost:8080', 'https://m.example.org'], store);
    expect(allowedOrigins(store)).toEqual(['http://localhost:8080', 'https://m.example.org']);
    store.setItem('grsap-allowed-origins', JSON.stringify(['https://ok.example', "https://x.example; script-src 'unsafe-eval'", 'https://x.example/path', 42]));
    expect(allowedOrigins(store)).toEqual(['https://ok.example']);
    store.setItem('grsap-allowed-origins', '{not json');
    expect(allowedOrigins(store)).toEqual([]);
    expect(() => setAllowedOrigins(['https://a.example'], null)).toThrow(/blocks local storage/);
  });
});
