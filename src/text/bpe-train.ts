// A byte-level BPE trainer, and the Hugging Face tokenizer files for what it learns. The npm build
// of `@huggingface/tokenizers` can load and run tokenizers but not train them, so training is done
// here, to the same conventions: GPT-2's pre-tokenizer regex, its byte → character map, merges
// ranked in the order learned. The result loads in `@huggingface/tokenizers` and in transformers.
//
// Training counts the pre-tokenized chunks of the corpus once; each round merges the most frequent
// adjacent pair (ties broken by the pair's text, so the merges depend only on the corpus) and
// re-counts. That is quadratic in the worst case but fast for corpora with few distinct chunks.

/** The ByteLevel pre-tokenizer's split (use_regex: true), as in GPT-2 and HF tokenizers. */
export const BYTE_LEVEL_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's map from each byte to a printable character (bytes that print as themselves keep them). */
export function byteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const map: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) map[b] = String.fromCodePoint(printable.includes(b) ? b : next++);
  return map;
}

const BYTE_CHARS = byteToUnicode();
const encoder = new TextEncoder();

/** A chunk of text as byte-level characters: "héllo" → "hÃ©llo". */
export function toByteLevel(text: string): string {
  let out = '';
  for (const b of encoder.encode(text)) out += BYTE_CHARS[b];
  return out;
}

export interface BpeTrainOptions {
  vocabSize: number; // including the special tokens and the 256 byte tokens
  specialTokens: readonly string[]; // ids 0, 1, …; cut out of the corpus before counting
  minPairCount?: number; // stop when the best pair is rarer than this; default 2
}

export interface TrainedBpe {
  vocab: Map<string, number>; // token text (byte-level characters) → id
  merges: [string, string][]; // in rank order
  specialTokens: string[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Count the byte-level chunks of `texts`, with special tokens removed (they are never merged). */
function countChunks(texts: Iterable<string>, specialTokens: readonly string[]): Map<string, number> {
  const special = specialTokens.length ? new RegExp(specialTokens.map(escapeRegExp).join('|'), 'g') : null;
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const piece of special ? text.split(special) : [text]) {
      for (const match of piece.matchAll(BYTE_LEVEL_SPLIT)) {
        const chunk = toByteLevel(match[0]);
        counts.set(chunk, (counts.get(chunk) ?? 0) + 1);
      }
    }
  }
  return counts;
}

export function trainByteLevelBpe(texts: Iterable<string>, options: BpeTrainOptions): TrainedBpe {
  const { vocabSize, specialTokens } = options;
  const minPairCount = options.minPairCount ?? 2;
  const base = specialTokens.length + 256;
  if (vocabSize < base) throw new Error(`BPE vocabulary size ${vocabSize} is below the ${base} tokens every byte-level vocabulary needs (${specialTokens.length} special + 256 bytes).`);

  const tokens: string[] = [...specialTokens, ...BYTE_CHARS];
  const idOf = new Map(tokens.map((t, i) => [t, i]));
  if (idOf.size !== tokens.length) throw new Error('BPE special tokens must be distinct and differ from the single byte characters.');

  const chunkCounts = countChunks(texts, specialTokens);
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [chunk, count] of chunkCounts) {
    words.push([...chunk].map((c) => idOf.get(c)!));
    freqs.push(count);
  }

  const merges: [string, string][] = [];
  const key = (a: number, b: number) => a * 65536 + b;
  while (tokens.length < vocabSize) {
    const pairCounts = new Map<number, number>();
    words.forEach((word, w) => {
      for (let i = 0; i + 1 < word.length; i++) {
        const k = key(word[i], word[i + 1]);
        pairCounts.set(k, (pairCounts.get(k) ?? 0) + freqs[w]);
      }
    });
    let bestKey = -1;
    let bestCount = 0;
    for (const [k, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && comparePairs(k, bestKey, tokens) < 0)) [bestKey, bestCount] = [k, count];
    }
    if (bestKey < 0 || bestCount < minPairCount) break;
    const left = Math.floor(bestKey / 65536);
    const right = bestKey % 65536;
    const merged = tokens[left] + tokens[right];
    if (idOf.has(merged)) throw new Error(`BPE training produced the token ${JSON.stringify(merged)} twice; the corpus or special tokens are inconsistent.`);
    const mergedId = tokens.length;
    tokens.push(merged);
    idOf.set(merged, mergedId);
    merges.push([tokens[left], tokens[right]]);
    for (const word of words) {
      for (let i = 0; i + 1 < word.length; i++) {
        if (word[i] === left && word[i + 1] === right) word.splice(i, 2, mergedId);
      }
    }
  }
  return { vocab: new Map(tokens.map((t, i) => [t, i])), merges, specialTokens: [...specialTokens] };
}

/** Order of two pairs with equal counts: by the left token's text, then the right's. */
function comparePairs(a: number, b: number, tokens: readonly string[]): number {
  if (b < 0) return -1;
  const [al, ar] = [tokens[Math.floor(a / 65536)], tokens[a % 65536]];
  const [bl, br] = [tokens[Math.floor(b / 65536)], tokens[b % 65536]];
  if (al !== bl) return al < bl ? -1 : 1;
  return ar < br ? -1 : ar > br ? 1 : 0;
}

/** Token ids of `text` by applying the learned merges in rank order (a reference for tests). */
export function encodeWithMerges(trained: TrainedBpe, text: string): number[] {
  const rank = new Map(trained.merges.map(([a, b], i) => [`${a} ${b}`, i]));
  const ids: number[] = [];
  for (const match of text.matchAll(BYTE_LEVEL_SPLIT)) {
    let symbols = [...toByteLevel(match[0])];
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = rank.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
      }
      if (best < 0) break;
      symbols = [...symbols.slice(0, best), symbols[best] + symbols[best + 1], ...symbols.slice(best + 2)];
    }
    for (const s of symbols) ids.push(trained.vocab.get(s)!);
  }
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Hugging Face files.

/** A ChatML chat template: `<|im_start|>role\ncontent<|im_end|>\n` per message. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export interface ChatTokenSettings {
  bosToken: string; // '<|im_start|>'
  eosToken: string; // '<|im_end|>': ends an assistant turn, and generation
  padToken: string; // '<|endoftext|>'
  chatTemplate: string;
  modelMaxLength: number;
}

export interface TokenizerFileSet {
  tokenizerJson: Record<string, unknown>; // tokenizer.json
  tokenizerConfig: Record<string, unknown>; // tokenizer_config.json
  generationConfig: Record<string, unknown>; // generation_config.json (token ids only)
}

export function byteLevelTokenizerFiles(trained: TrainedBpe, settings: ChatTokenSettings): TokenizerFileSet {
  const idOf = (token: string) => {
    const id = trained.vocab.get(token);
    if (id === undefined || !trained.specialTokens.includes(token)) throw new Error(`${JSON.stringify(token)} is not one of the trained special tokens (${trained.specialTokens.join(', ')}).`);
    return id;
  };
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: trained.specialTokens.map((content) => ({ id: idOf(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(trained.vocab),
      merges: trained.merges,
    },
  };
  const tokenizerConfig = {
    add_prefix_space: false,
    bos_token: settings.bosToken,
    eos_token: settings.eosToken,
    pad_token: settings.padToken,
    unk_token: null,
    additional_special_tokens: trained.specialTokens.filter((t) => t !== settings.padToken),
    clean_up_tokenization_spaces: false,
    model_max_length: settings.modelMaxLength,
    tokenizer_class: 'PreTrainedTokenizerFast',
    chat_template: settings.chatTemplate,
  };
  const generationConfig = { bos_token_id: idOf(settings.bosToken), eos_token_id: [idOf(settings.eosToken)], pad_token_id: idOf(settings.padToken) };
  return { tokenizerJson, tokenizerConfig, generationConfig };
}
