// How pairs become classifier inputs: the template's pieces, truncation that keeps the template
// (and so the separator) and cuts the response first, right padding, and config validation.

import { describe, expect, it } from 'vitest';
import { createPairEncoder, DEFAULT_PAIR_TEMPLATE, padBatch, pairEncodingFromConfig } from '../../src/safety/judges/pair-encoding';
import { tinyChatTokenizer } from './helpers/tiny-tokenizer';

const tokenizer = tinyChatTokenizer();
const plain = (text: string) => tokenizer.encode(text, { addSpecialTokens: false });

describe('pair encoding', () => {
  it('renders the template piece by piece', () => {
    const encoder = createPairEncoder(tokenizer, { kind: 'template', template: DEFAULT_PAIR_TEMPLATE }, 512);
    const { ids, typeIds } = encoder.encode({ request: 'hello there', response: 'how are you?' });
    expect(ids).toEqual([...plain('<|im_start|>user\n'), ...plain('hello there'), ...plain('<|im_end|>\n<|im_start|>assistant\n'), ...plain('how are you?'), ...plain('<|im_end|>')]);
    expect(tokenizer.decode(ids)).toBe('<|im_start|>user\nhello there<|im_end|>\n<|im_start|>assistant\nhow are you?<|im_end|>');
    expect(typeIds.every((t) => t === 0)).toBe(true);
    expect(encoder.padId).toBe(tokenizer.padId);
  });

  it('shortens the response first, then the request, keeping the template', () => {
    const template = '[{request}|{response}]';
    const encoder = createPairEncoder(tokenizer, { kind: 'template', template }, 24);
    const fixed = plain('[').length + plain('|').length + plain(']').length;
    const request = plain('abc def ghi');
    const long = { request: 'abc def ghi', response: 'the weather is '.repeat(10) };
    const ids = encoder.encode(long).ids;
    expect(ids).toHaveLength(24);
    expect(ids.slice(0, 1 + request.length)).toEqual([...plain('['), ...request]);
    expect(ids.at(-1)).toBe(plain(']')[0]);
    // A long request gives way too, but keeps at least half the budget for the response … and the response keeps its start.
    const both = encoder.encode({ request: 'q '.repeat(40), response: 'r '.repeat(40) }).ids;
    expect(both).toHaveLength(24);
    const budget = 24 - fixed;
    const bar = both.indexOf(plain('|')[0]);
    expect(bar - 1).toBe(budget - Math.floor(budget / 2));
  });

  it('reads pair_template / pair_encoding from config.json and rejects bad ones', () => {
    expect(pairEncodingFromConfig({})).toEqual({ kind: 'template', template: DEFAULT_PAIR_TEMPLATE });
    expect(pairEncodingFromConfig({ pair_template: 'Q: {request} A: {response}' })).toEqual({ kind: 'template', template: 'Q: {request} A: {response}' });
    expect(pairEncodingFromConfig({ pair_encoding: 'text_pair' })).toEqual({ kind: 'text_pair' });
    expect(() => pairEncodingFromConfig({ pair_encoding: 'chat' })).toThrow(/config.json: pair_encoding is "chat"/);
    expect(() => pairEncodingFromConfig({ pair_template: 'just {request}' })).toThrow(/\{request\} and \{response\} once each/);
  });

  it('text_pair mode lets the post-processor join the texts', () => {
    const encoder = createPairEncoder(tokenizer, { kind: 'text_pair' }, 64);
    const { ids } = encoder.encode({ request: 'hello', response: 'there' });
    expect(ids).toEqual(tokenizer.encodePair('hello', 'there').ids);
    expect(encoder.encode({ request: 'hello '.repeat(30), response: 'there '.repeat(30) }).ids.length).toBeLessThanOrEqual(64);
  });

  it('pads right, with attention_mask 1 on real tokens', () => {
    const batch = padBatch([{ ids: [5, 6, 7], typeIds: [0, 0, 1] }, { ids: [8], typeIds: [0] }], 2);
    expect([batch.batch, batch.length]).toEqual([2, 3]);
    expect(Array.from(batch.inputIds, Number)).toEqual([5, 6, 7, 8, 2, 2]);
    expect(Array.from(batch.attentionMask, Number)).toEqual([1, 1, 1, 1, 0, 0]);
    expect(Array.from(batch.tokenTypeIds, Number)).toEqual([0, 0, 1, 0, 0, 0]);
  });
});
