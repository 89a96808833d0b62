// The model-source form as requests: a Hub repository with its revision, token and mirror; the URL
// the page's policy must allow for each; and cached models opened again by their cache id.
import { describe, expect, it } from 'vitest';
import { contactedUrl, modelRequestOf, requestOfCachedModel, type SourceState } from '../../src/ui/parts/model-source-fields';

const hub = (patch: Partial<SourceState>): SourceState => ({ kind: 'hub', text: '', token: '', endpoint: '', files: [], ...patch });

describe('model source fields', () => {
  it('read a repository, its revision and token; the Hub itself needs no mirror', () => {
    expect(modelRequestOf(hub({ text: ' acme/tiny@v2 ', token: 'hf_x' }), 'x/y')).toEqual({ kind: 'hub', repo: 'acme/tiny', revision: 'v2', token: 'hf_x', endpoint: undefined });
    for (const endpoint of ['', 'https://huggingface.co', 'https://huggingface.co/']) {
      const r = modelRequestOf(hub({ text: 'acme/tiny', endpoint }), 'x/y');
      expect(r).toMatchObject({ kind: 'hub', endpoint: undefined });
      expect(contactedUrl(r as Exclude<typeof r, string>)).toBeNull();
    }
    expect(modelRequestOf(hub({}), 'HuggingFaceTB/SmolLM2-135M-Instruct')).toBe('Type a repository id such as HuggingFaceTB/SmolLM2-135M-Instruct.');
  });

  it('take a mirror as its origin (or origin and path), which is what the policy must allow', () => {
    const r = modelRequestOf(hub({ text: 'acme/tiny', endpoint: 'http://127.0.0.1:8080/' }), 'x/y');
    expect(r).toMatchObject({ endpoint: 'http://127.0.0.1:8080' });
    expect(contactedUrl(r as Exclude<typeof r, string>)).toBe('http://127.0.0.1:8080');
    expect(modelRequestOf(hub({ text: 'acme/tiny', endpoint: 'https://mirror.example/hf/' }), 'x/y')).toMatchObject({ endpoint: 'https://mirror.example/hf' });
    expect(modelRequestOf(hub({ text: 'acme/tiny', endpoint: 'mirror.example' }), 'x/y')).toMatch(/^Hub mirror: "mirror\.example" is not a URL/);
    expect(modelRequestOf(hub({ text: 'acme/tiny', endpoint: 'ftp://mirror.example' }), 'x/y')).toMatch(/^Hub mirror: .* is not an http\(s\) URL/);
  });

  it('open a cached model again from its cache id', () => {
    expect(requestOfCachedModel('hf:HuggingFaceTB/SmolLM2-135M-Instruct@main')).toEqual({ kind: 'hub', repo: 'HuggingFaceTB/SmolLM2-135M-Instruct', revision: 'main', endpoint: undefined });
    expect(requestOfCachedModel('url:https://example.org/models/m/')).toEqual({ kind: 'url', url: 'https://example.org/models/m/' });
    expect(requestOfCachedModel('files:picked')).toBeNull();
  });
});
