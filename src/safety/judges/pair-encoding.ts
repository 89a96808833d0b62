// How a (request, response) pair becomes the token ids a text classifier reads, and how pairs are
// batched for it (right-padded, attention_mask 1 on real tokens, int64 as ONNX exports expect).
//
// Two encodings, chosen by the classifier's config.json (or the caller):
// - "template" (default): the pair is rendered through a text template with the placeholders
//   {request} and {response}, each once, request first. config.json may give it as `pair_template`;
//   without one, a ChatML-like rendering is used (DEFAULT_PAIR_TEMPLATE). The rendered text is
//   tokenised piece by piece (template text, request, template text, response, template text) with
//   no post-processor tokens: the template writes its own. Our guard is trained on this encoding.
// - "text_pair": `pair_encoding: "text_pair"` in config.json: the tokenizer's post-processor joins
//   request and response as a sequence pair (BERT-style `[CLS] request [SEP] response [SEP]`), as a
//   Hugging Face text-classification model fine-tuned with `tokenizer(request, response)` expects.
// Pairs longer than maxLength are shortened from the end of the response first, then of the request.

import type { TextTokenizer } from '../../text/tokenizer';
import type { JudgePair } from './judge';

export const DEFAULT_PAIR_TEMPLATE = '<|im_start|>user\n{request}<|im_end|>\n<|im_start|>assistant\n{response}<|im_end|>';

export type PairEncoding = { kind: 'template'; template: string } | { kind: 'text_pair' };

export class PairEncodingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PairEncodingError';
  }
}

/** The pair encoding a classifier's config.json asks for (see the file comment). */
export function pairEncodingFromConfig(config: Record<string, unknown>, fileName = 'config.json'): PairEncoding {
  const mode = config.pair_encoding;
  if (mode !== undefined && mode !== 'template' && mode !== 'text_pair') {
    throw new PairEncodingError(`${fileName}: pair_encoding is ${JSON.stringify(mode)}; use "template" (with pair_template) or "text_pair".`);
  }
  if (mode === 'text_pair') return { kind: 'text_pair' };
  const template = config.pair_template ?? DEFAULT_PAIR_TEMPLATE;
  if (typeof template !== 'string') throw new PairEncodingError(`${fileName}: pair_template must be a string with {request} and {response}.`);
  splitPairTemplate(template, fileName);
  return { kind: 'template', template };
}

/** The three fixed pieces around {request} and {response}. */
export function splitPairTemplate(template: string, fileName = 'pair template'): [string, string, string] {
  const count = (s: string) => template.split(s).length - 1;
  if (count('{request}') !== 1 || count('{response}') !== 1) {
    throw new PairEncodingError(`${fileName}: the pair template must contain {request} and {response} once each, got ${JSON.stringify(template)}.`);
  }
  const [before, rest] = template.split('{request}');
  if (!rest.includes('{response}')) throw new PairEncodingError(`${fileName}: the pair template must put {request} before {response}, got ${JSON.stringify(template)}.`);
  const [middle, after] = rest.split('{response}');
  return [before, middle, after];
}

/** Lengths (request, response) that fit `budget` tokens: the response gives way first, down to half. */
function fitLengths(requestLength: number, responseLength: number, budget: number): [number, number] {
  if (requestLength + responseLength <= budget) return [requestLength, responseLength];
  const response = Math.min(responseLength, Math.max(budget - requestLength, Math.floor(budget / 2)));
  return [Math.min(requestLength, budget - response), response];
}

export interface EncodedPair {
  ids: number[]; // token ids, at most maxLength
  typeIds: number[]; // segment ids (token_type_ids): the post-processor's for text_pair, else all 0
}

export interface PairEncoder {
  readonly maxLength: number;
  readonly padId: number;
  encode(pair: JudgePair): EncodedPair;
}

export function createPairEncoder(tokenizer: TextTokenizer, encoding: PairEncoding, maxLength: number): PairEncoder {
  if (!Number.isInteger(maxLength) || maxLength < 2) throw new PairEncodingError(`pair encoding: maxLength must be an integer ≥ 2, got ${maxLength}.`);
  const padId = tokenizer.padId ?? tokenizer.eosId ?? 0;
  const plain = (text: string) => (text === '' ? [] : tokenizer.encode(text, { addSpecialTokens: false }));
  if (encoding.kind === 'template') {
    const [before, middle, after] = splitPairTemplate(encoding.template).map(plain);
    const budget = maxLength - before.length - middle.length - after.length;
    if (budget < 2) throw new PairEncodingError(`pair encoding: the template alone takes ${maxLength - budget} of the ${maxLength} tokens allowed; raise maxLength or shorten the template.`);
    return {
      maxLength,
      padId,
      encode({ request, response }) {
        const r = plain(request);
        const s = plain(response);
        const [rn, sn] = fitLengths(r.length, s.length, budget);
        const ids = [...before, ...r.slice(0, rn), ...middle, ...s.slice(0, sn), ...after];
        return { ids, typeIds: ids.map(() => 0) };
      },
    };
  }
  const overhead = tokenizer.encodePair('', '').ids.length;
  const budget = maxLength - overhead;
  if (budget < 2) throw new PairEncodingError(`pair encoding: the tokenizer's pair specials take ${overhead} of ${maxLength} tokens; raise maxLength.`);
  return {
    maxLength,
    padId,
    encode({ request, response }) {
      const whole = tokenizer.encodePair(request, response);
      if (whole.ids.length <= maxLength) return whole;
      const r = plain(request);
      const s = plain(response);
      const [rn, sn] = fitLengths(r.length, s.length, budget);
      const { ids, typeIds } = tokenizer.encodePair(tokenizer.decode(r.slice(0, rn)), tokenizer.decode(s.slice(0, sn)));
      if (ids.length <= maxLength) return { ids, typeIds };
      // Decoding and re-encoding can merge differently at the cut; keep the final special token.
      const cut = (x: number[]) => [...x.slice(0, maxLength - 1), x[x.length - 1]];
      return { ids: cut(ids), typeIds: cut(typeIds) };
    },
  };
}

export interface EncodedBatch {
  batch: number; // B
  length: number; // T: the longest sequence in the batch
  inputIds: BigInt64Array; // (B,T), right-padded with the pad id
  attentionMask: BigInt64Array; // (B,T), 1 on real tokens, 0 on padding
  tokenTypeIds: BigInt64Array; // (B,T), segment ids, 0 on padding
}

/** Right-pad encoded pairs into int64 (B,T) tensors. */
export function padBatch(pairs: readonly EncodedPair[], padId: number): EncodedBatch {
  const batch = pairs.length;
  const length = Math.max(1, ...pairs.map((p) => p.ids.length));
  const inputIds = new BigInt64Array(batch * length).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(batch * length);
  const tokenTypeIds = new BigInt64Array(batch * length);
  pairs.forEach(({ ids, typeIds }, b) => {
    ids.forEach((id, t) => {
      inputIds[b * length + t] = BigInt(id);
      attentionMask[b * length + t] = 1n;
      tokenTypeIds[b * length + t] = BigInt(typeIds[t] ?? 0);
    });
  });
  return { batch, length, inputIds, attentionMask, tokenTypeIds };
}
