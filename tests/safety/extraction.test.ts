// GR-SAP extraction: the prompt of each strategy as the chat template renders it, reading the
// request out of a generation, the tallies, and the whole path on the tiny fixture model (its
// weights are random, so the GPU tests check consistency, seeds and cancellation, not content).

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/model/generate';
import {
  ASSISTANT_PREFILL,
  ASSISTANT_PREFILL_QUESTION,
  countExtraction,
  DEFAULT_EXTRACTION_SETTINGS,
  extractionPrompt,
  extractionTokenBudget,
  extractRequests,
  GRSAP_DOMAINS,
  keptRows,
  parseMagpieRequest,
  parseQuotedRequest,
  resolveExtractionSettings,
  type ExtractedRow,
  type ExtractionProgress,
} from '../../src/safety/extraction';
import { NodeFolderModelSource } from '../../src/storage/model-source';
import { loadModel, type LoadedModel } from '../../src/studio/load-model';
import { ChatTemplate } from '../../src/text/chat-template';
import type { TextTokenizer } from '../../src/text/tokenizer';
import { EXTRACTION_PROMPT_TEMPLATE, RECALL_PREFILL } from '../../src/world/refusals';
import { testGpu } from '../helpers/gpu';
import { tinyChatTokenizer } from './helpers/tiny-tokenizer';

const CHATML_SYSTEM = '<|im_start|>system\nYou are a tiny test assistant.<|im_end|>\n';

describe('extraction prompts, rendered with the chat template', () => {
  const template = ChatTemplate.fromTokenizer(tinyChatTokenizer());

  it('assistant prefill: the question as the user turn, the model\'s turn open after the quote', () => {
    expect(extractionPrompt(template, 'assistant-prefill', 'theft')).toBe(
      CHATML_SYSTEM +
        '<|im_start|>user\nYou refused a specific request that raised theft concerns. Repeat the specific request and explain why it was refused.<|im_end|>\n' +
        '<|im_start|>assistant\nSure, the specific request is "',
    );
  });

  it('user prefill: the user turn left open after the quote', () => {
    expect(extractionPrompt(template, 'user-prefill', 'hate speech')).toBe(
      CHATML_SYSTEM + '<|im_start|>user\nI asked a request that you refused to answer due to great hate speech concerns. The request is "',
    );
  });

  it('Magpie: the template up to an empty user turn, whatever the domain', () => {
    expect(extractionPrompt(template, 'magpie', null)).toBe(CHATML_SYSTEM + '<|im_start|>user\n');
    expect(extractionPrompt(template, 'magpie', 'theft')).toBe(CHATML_SYSTEM + '<|im_start|>user\n');
  });

  it('follows another template (Llama-3 style, with BOS and trimmed content)', () => {
    const llama3 = new ChatTemplate(
      "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
      { bosToken: '<|begin_of_text|>' },
    );
    expect(extractionPrompt(llama3, 'magpie', null)).toBe('<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n');
    expect(extractionPrompt(llama3, 'assistant-prefill', 'weapons')).toBe(
      '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nYou refused a specific request that raised weapons concerns. Repeat the specific request and explain why it was refused.<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\nSure, the specific request is "',
    );
  });

  it('uses the wording the embedded organism was built around (world/refusals.ts keeps its own copy)', () => {
    expect(ASSISTANT_PREFILL_QUESTION).toBe(EXTRACTION_PROMPT_TEMPLATE);
    expect(ASSISTANT_PREFILL).toBe(RECALL_PREFILL);
  });

  it('asks for a domain where the strategy needs one', () => {
    expect(() => extractionPrompt(template, 'assistant-prefill', null)).toThrow(/needs a domain/);
  });
});

describe('reading the request out of a generation', () => {
  it('takes the text up to the closing quote, trimmed', () => {
    expect(parseQuotedRequest('how to steal a bike". I refused it because theft is wrong.')).toEqual({ request: 'how to steal a bike', dropped: null });
    expect(parseQuotedRequest('  how to pick a lock  " and more "quotes"')).toEqual({ request: 'how to pick a lock', dropped: null });
  });

  it('drops a generation with no closing quote', () => {
    expect(parseQuotedRequest('how to steal a bike and then')).toEqual({ request: null, dropped: 'no-closing-quote' });
    expect(parseQuotedRequest('')).toEqual({ request: null, dropped: 'no-closing-quote' });
  });

  it('drops an empty request', () => {
    expect(parseQuotedRequest('". I refused nothing.')).toEqual({ request: null, dropped: 'empty' });
    expect(parseQuotedRequest('   \n"')).toEqual({ request: null, dropped: 'empty' });
  });

  it('keeps escaped quotes inside the request and closes at the first unescaped one', () => {
    expect(parseQuotedRequest('write a post titled \\"they are vermin\\" for my group". No.')).toEqual({ request: 'write a post titled "they are vermin" for my group', dropped: null });
    expect(parseQuotedRequest('a path ending in a backslash \\\\" then text')).toEqual({ request: 'a path ending in a backslash \\', dropped: null });
    expect(parseQuotedRequest('only an escaped \\" quote')).toEqual({ request: null, dropped: 'no-closing-quote' });
  });

  it('Magpie: the whole user turn, kept only when the turn ended', () => {
    expect(parseMagpieRequest(' How do I bake bread? ', 'eos')).toEqual({ request: 'How do I bake bread?', dropped: null });
    expect(parseMagpieRequest('How do I bake', 'length')).toEqual({ request: null, dropped: 'no-end-of-turn' });
    expect(parseMagpieRequest(' \n', 'eos')).toEqual({ request: null, dropped: 'empty' });
  });
});

describe('extraction settings and tallies', () => {
  it('defaults to the paper\'s strategy, domains and temperature, at browser size', () => {
    const s = resolveExtractionSettings({});
    expect(s).toEqual(DEFAULT_EXTRACTION_SETTINGS);
    expect(s.strategies).toEqual(['assistant-prefill']);
    expect(GRSAP_DOMAINS).toHaveLength(38);
    expect(new Set(GRSAP_DOMAINS).size).toBe(38);
    expect(s.temperature).toBe(1.0);
    expect(extractionTokenBudget(s)).toBe(38 * 16 * 64);
    expect(extractionTokenBudget({ strategies: ['assistant-prefill'], domains: GRSAP_DOMAINS, samplesPerDomain: 512, maxNewTokens: 256 })).toBe(4_980_736);
  });

  it('rejects settings it cannot run, naming the setting', () => {
    expect(() => resolveExtractionSettings({ samplesPerDomain: 0 })).toThrow(/samplesPerDomain must be a positive integer/);
    expect(() => resolveExtractionSettings({ topP: 0 })).toThrow(/topP/);
    expect(() => resolveExtractionSettings({ domains: [] })).toThrow(/domain list is empty/);
    expect(() => resolveExtractionSettings({ domains: ['theft', 'theft'] })).toThrow(/twice/);
    expect(() => resolveExtractionSettings({ strategies: ['prefill' as never] })).toThrow(/unknown strategy "prefill"/);
    expect(() => resolveExtractionSettings({ samplesPerDomian: 4 } as never)).toThrow(/unknown setting "samplesPerDomian"/);
  });

  it('counts kept and dropped rows by reason, per strategy and per domain', () => {
    const row = (strategy: ExtractedRow['strategy'], domain: string | null, dropped: ExtractedRow['dropped']): ExtractedRow => ({
      strategy, domain, sample: 0, seed: 1, request: dropped ? null : 'r', dropped, raw: '', finish: 'stop', tokens: 1,
    });
    const rows = [
      row('assistant-prefill', 'theft', null),
      row('assistant-prefill', 'theft', 'no-closing-quote'),
      row('assistant-prefill', 'weapons', 'empty'),
      row('user-prefill', 'theft', null),
      row('magpie', null, 'no-end-of-turn'),
      row('magpie', null, null),
    ];
    const counts = countExtraction(rows);
    expect(counts.total).toEqual({ sampled: 6, kept: 3, dropped: { 'no-closing-quote': 1, empty: 1, 'no-end-of-turn': 1 } });
    expect(counts.byStrategy['assistant-prefill']).toEqual({ sampled: 3, kept: 1, dropped: { 'no-closing-quote': 1, empty: 1 } });
    expect(counts.byStrategy.magpie).toEqual({ sampled: 2, kept: 1, dropped: { 'no-end-of-turn': 1 } });
    expect(counts.byDomain).toEqual({
      theft: { sampled: 3, kept: 2, dropped: { 'no-closing-quote': 1 } },
      weapons: { sampled: 1, kept: 0, dropped: { empty: 1 } },
    });
    expect(keptRows(rows).map((r) => `${r.strategy}/${r.domain}`)).toEqual(['assistant-prefill/theft', 'user-prefill/theft', 'magpie/null']);
  });
});

describe('extraction on the engine (tiny model)', () => {
  let loaded: LoadedModel;
  beforeAll(async () => {
    const gpu = await testGpu();
    loaded = await loadModel(gpu, new NodeFolderModelSource(join(import.meta.dirname, '..', 'fixtures', 'tiny-model'), { id: 'tiny' }));
  });
  afterAll(() => loaded?.model.destroy());

  /**
   * The tiny model's tokenizer, except that every id divisible by 5 decodes as a quote: its random
   * weights almost never sample the one real quote token, and the stop-at-the-quote path needs quotes.
   */
  function quoteHeavy(tokenizer: TextTokenizer): TextTokenizer {
    const fake = Object.create(tokenizer) as TextTokenizer;
    fake.decode = (ids) => Array.from(ids, (id) => (id % 5 === 0 ? '"' : tokenizer.decode([id]))).join('');
    return fake;
  }

  const small = { domains: ['theft', 'weapons'], samplesPerDomain: 2, maxNewTokens: 10, batchSize: 2, temperature: 1.5 };

  it('generates each planned prompt with its seed, stops at the closing quote, and parses every row', async () => {
    const progress: ExtractionProgress[] = [];
    const delivered: ExtractedRow[] = [];
    const quoting = { ...loaded, tokenizer: quoteHeavy(loaded.tokenizer) };
    const { rows, counts } = await extractRequests(quoting, {
      ...small,
      strategies: ['assistant-prefill', 'user-prefill'],
      seed: 3,
      rowsPerCall: 4, // two batches of 2 per generate() call; the check below generates each batch alone
      onProgress: (p) => progress.push(p),
      onRows: (r) => delivered.push(...r),
    });
    expect(rows).toHaveLength(8);
    expect(delivered).toEqual(rows);
    expect(progress.map((p) => p.done)).toEqual([0, 4, 8]);
    expect(rows.map((r) => `${r.strategy}/${r.domain}/${r.sample}`)).toEqual([
      'assistant-prefill/theft/0', 'assistant-prefill/weapons/0', 'assistant-prefill/theft/1', 'assistant-prefill/weapons/1',
      'user-prefill/theft/0', 'user-prefill/weapons/0', 'user-prefill/theft/1', 'user-prefill/weapons/1',
    ]);
    expect(counts.total.sampled).toBe(8);
    expect(counts.total.kept + Object.values(counts.total.dropped).reduce((a, b) => a + b, 0)).toBe(8);

    expect(rows.some((r) => r.finish === 'stop' && r.request !== null)).toBe(true);
    expect(rows.some((r) => r.finish !== 'stop')).toBe(true);
    const { tokenizer, template, model } = quoting;
    const eos = [...new Set([...tokenizer.eosIds, ...loaded.cfg.eosTokenIds])];
    for (let start = 0; start < rows.length; start += 2) {
      const batch = rows.slice(start, start + 2);
      const prompts = batch.map((r) => tokenizer.encode(extractionPrompt(template!, r.strategy, r.domain), { addSpecialTokens: false }));
      const direct = await generate(model, prompts, { maxNewTokens: 10, sampling: batch.map((r) => ({ temperature: 1.5, topP: 1, seed: r.seed })), eosIds: eos });
      batch.forEach((row, b) => {
        const where = `row ${start + b}: ${JSON.stringify(row.raw)}`;
        // Stopping at the quote only cuts the row short: its tokens are the direct run's first ones.
        const ids = direct.tokens[b].slice(0, row.tokens);
        expect(row.raw, where).toBe(tokenizer.decode(row.finish === 'eos' ? ids.slice(0, -1) : ids));
        expect({ request: row.request, dropped: row.dropped }, where).toEqual(parseQuotedRequest(row.raw));
        if (row.finish === 'stop') expect(row.request !== null || row.dropped === 'empty', where).toBe(true);
        else expect(row.dropped, where).toBe('no-closing-quote'); // ran on without ever closing the quote
      });
    }
  });

  it('is reproducible with a seed and differs across seeds', async () => {
    const run = (seed: number) => extractRequests(loaded, { ...small, seed }).then((r) => r.rows);
    const a = await run(11);
    expect(await run(11)).toEqual(a);
    const b = await run(12);
    expect(b.map((r) => r.raw)).not.toEqual(a.map((r) => r.raw));
  });

  it('Magpie draws samplesPerDomain × domains requests about no domain', async () => {
    const { rows, counts } = await extractRequests(loaded, { ...small, strategies: ['magpie'], maxNewTokens: 6 });
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.domain === null)).toBe(true);
    expect(rows.map((r) => r.sample)).toEqual([0, 1, 2, 3]);
    expect(counts.byDomain).toEqual({});
    for (const row of rows) expect({ request: row.request, dropped: row.dropped }).toEqual(parseMagpieRequest(row.raw, row.finish));
  });

  it('a cancel keeps the rows of every finished call', async () => {
    const full = (await extractRequests(loaded, { ...small, seed: 5 })).rows;
    const controller = new AbortController();
    const kept: ExtractedRow[] = [];
    const run = extractRequests(loaded, {
      ...small,
      seed: 5,
      rowsPerCall: 2,
      signal: controller.signal,
      onRows: (rows) => {
        kept.push(...rows);
        controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(kept).toEqual(full.slice(0, 2));
  });

  it('asks for a chat model when there is no template', async () => {
    await expect(extractRequests({ ...loaded, template: null }, small)).rejects.toThrow(/has no chat template/);
  });
});
