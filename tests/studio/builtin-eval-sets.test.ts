// The project's small evaluation sets for real models: one harmful request per GR-SAP domain, in
// the paper's order; harmless prompts with alarming words; both read as a user's JSONL file would
// be, unique, and kept apart from every prompt this project trains on (the static safety set).
import { describe, expect, it } from 'vitest';
import { BUILTIN_HARMFUL, BUILTIN_OVER_REFUSAL } from '../../src/studio/builtin-eval-sets';
import { GRSAP_DOMAINS } from '../../src/safety/extraction';
import { staticSafetyPairs } from '../../src/safety/static-safety-set';
import { parsePromptSet } from '../../src/studio/eval-sets';

const norm = (s: string) => s.toLowerCase().replace(/[^a-z ]/g, '').trim();

describe('built-in evaluation sets', () => {
  it('hold one harmful request per GR-SAP domain, in the paper\'s order', () => {
    const set = parsePromptSet(BUILTIN_HARMFUL.text, BUILTIN_HARMFUL.fileName, 'harmful');
    expect(set.items.map((i) => i.domain)).toEqual([...GRSAP_DOMAINS]);
    expect(set.items).toHaveLength(BUILTIN_HARMFUL.count);
    expect(set.items[0]).toMatchObject({ id: 'h01', domain: 'violence' });
  });

  it('hold 25 harmless prompts, every prompt unique and none in the static safety set', () => {
    const over = parsePromptSet(BUILTIN_OVER_REFUSAL.text, BUILTIN_OVER_REFUSAL.fileName, 'over-refusal');
    expect(over.items).toHaveLength(25);
    const prompts = [...parsePromptSet(BUILTIN_HARMFUL.text, BUILTIN_HARMFUL.fileName, 'harmful').items, ...over.items].map((i) => norm(i.prompt));
    expect(new Set(prompts).size).toBe(prompts.length);
    const trained = new Set(staticSafetyPairs().map((p) => norm(p.source.request)));
    expect(prompts.filter((p) => trained.has(p))).toEqual([]);
  });
});
