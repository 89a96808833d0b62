// Tokenizer of a Hugging Face checkpoint: tokenizer.json through `@huggingface/tokenizers`, special
// tokens from tokenizer_config.json and generation_config.json, and the chat template source.

import { Tokenizer } from '@huggingface/tokenizers';

/** The JSON files of a checkpoint folder, already parsed (chat_template.jinja as text). */
export interface TokenizerFiles {
  tokenizerJson: unknown; // tokenizer.json
  tokenizerConfig?: unknown; // tokenizer_config.json
  generationConfig?: unknown; // generation_config.json: eos_token_id may be a list there
  chatTemplateJinja?: string | null; // chat_template.jinja, which newer transformers save beside the config
}

export class TokenizerError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'TokenizerError';
  }
}

export interface EncodeOptions {
  addSpecialTokens?: boolean; // run the post-processor (e.g. prepend BOS); default true, as in transformers
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean; // drop special tokens such as <|im_end|>; default false
}

type Json = Record<string, unknown>;

function asObject(v: unknown): Json | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null;
}

/** tokenizer_config.json writes a special token as "<s>" or as {"content": "<s>", ...}. */
function tokenText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  const content = asObject(v)?.content;
  return typeof content === 'string' ? content : null;
}

function idList(v: unknown): number[] {
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return list.filter((id): id is number => Number.isInteger(id) && (id as number) >= 0);
}

export class TextTokenizer {
  readonly bosToken: string | null; // '<|im_start|>', passed to chat templates as bos_token
  readonly eosToken: string | null; // '<|im_end|>', passed to chat templates as eos_token
  readonly padToken: string | null;
  readonly unkToken: string | null;
  readonly bosId: number | null;
  readonly eosId: number | null; // the primary end token: tokenizer_config's eos_token, else generation_config's first
  readonly eosIds: readonly number[]; // every id that ends generation (generation_config may list several)
  readonly padId: number | null; // null: the checkpoint defines none (callers usually pad with eosId)
  readonly vocabSize: number; // largest token id + 1, added tokens included
  readonly chatTemplate: string | null; // Jinja source, null when the checkpoint has none
  readonly specialIds: ReadonlySet<number>; // ids of tokens marked special (skipped by skipSpecialTokens)

  private constructor(
    private readonly inner: Tokenizer,
    config: Json,
    generation: Json,
    chatTemplateJinja: string | null,
  ) {
    this.bosToken = tokenText(config.bos_token);
    this.eosToken = tokenText(config.eos_token);
    this.padToken = tokenText(config.pad_token);
    this.unkToken = tokenText(config.unk_token);
    const idOf = (token: string | null, field: string): number | null => {
      if (token === null) return null;
      const id = inner.token_to_id(token);
      if (id === undefined) throw new TokenizerError('tokenizer_config.json', `${field} ${JSON.stringify(token)} is not in the vocabulary of tokenizer.json.`);
      return id;
    };
    const configEos = idOf(this.eosToken, 'eos_token');
    const generationEos = idList(generation.eos_token_id);
    this.eosIds = [...new Set([...(configEos === null ? [] : [configEos]), ...generationEos])];
    this.eosId = this.eosIds[0] ?? null;
    this.bosId = idOf(this.bosToken, 'bos_token') ?? idList(generation.bos_token_id)[0] ?? null;
    this.padId = idOf(this.padToken, 'pad_token') ?? idList(generation.pad_token_id)[0] ?? null;
    let maxId = -1;
    for (const id of inner.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    this.specialIds = new Set([...inner.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([id]) => id));
    this.chatTemplate = chatTemplateJinja ?? pickChatTemplate(config.chat_template);
  }

  static fromFiles(files: TokenizerFiles): TextTokenizer {
    const json = asObject(files.tokenizerJson);
    if (!json || !asObject(json.model)) throw new TokenizerError('tokenizer.json', 'expected an object with a "model" entry.');
    const rawConfig = files.tokenizerConfig === undefined ? {} : asObject(files.tokenizerConfig);
    if (!rawConfig) throw new TokenizerError('tokenizer_config.json', 'expected a JSON object.');
    const generation = files.generationConfig === undefined ? {} : asObject(files.generationConfig);
    if (!generation) throw new TokenizerError('generation_config.json', 'expected a JSON object.');
    // The library expects special tokens as strings; older configs store them as AddedToken objects.
    const config: Json = { ...rawConfig };
    for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token', 'sep_token', 'cls_token', 'mask_token']) {
      if (key in config) config[key] = tokenText(config[key]) ?? undefined;
    }
    if (Array.isArray(config.additional_special_tokens)) {
      config.additional_special_tokens = config.additional_special_tokens.map(tokenText).filter((t): t is string => t !== null);
    }
    let inner: Tokenizer;
    try {
      inner = new Tokenizer(json, config);
    } catch (e) {
      throw new TokenizerError('tokenizer.json', `could not be loaded (${(e as Error).message}).`);
    }
    return new TextTokenizer(inner, config, generation, files.chatTemplateJinja ?? null);
  }

  /**
   * Load from a checkpoint folder through `readText(fileName)`, which resolves to null for a
   * missing file (fetch from the Hub, OPFS, or node:fs all fit). Only tokenizer.json is required.
   */
  static async load(readText: (fileName: string) => Promise<string | null>): Promise<TextTokenizer> {
    const readJson = async (name: string): Promise<unknown> => {
      const text = await readText(name);
      if (text === null) return undefined;
      try {
        return JSON.parse(text);
      } catch (e) {
        throw new TokenizerError(name, `is not valid JSON (${(e as Error).message}).`);
      }
    };
    const tokenizerJson = await readJson('tokenizer.json');
    if (tokenizerJson === undefined) throw new TokenizerError('tokenizer.json', 'is missing; only tokenizer.json (fast tokenizer) checkpoints are supported.');
    return TextTokenizer.fromFiles({
      tokenizerJson,
      tokenizerConfig: await readJson('tokenizer_config.json'),
      generationConfig: await readJson('generation_config.json'),
      chatTemplateJinja: await readText('chat_template.jinja'),
    });
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.inner.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  /**
   * A pair of texts as sequence-pair models see them: the post-processor joins them with its special
   * tokens (e.g. `[CLS] a [SEP] b [SEP]`), as transformers' `tokenizer(text, text_pair)` does.
   * typeIds are the segment ids its post-processor assigns (all 0 when it assigns none).
   */
  encodePair(text: string, pair: string, options: EncodeOptions = {}): { ids: number[]; typeIds: number[] } {
    const encoding = this.inner.encode(text, { text_pair: pair, add_special_tokens: options.addSpecialTokens ?? true, return_token_type_ids: true });
    return { ids: encoding.ids, typeIds: encoding.token_type_ids ?? encoding.ids.map(() => 0) };
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    if (ids.length === 0) return '';
    const list = Array.from(ids);
    const bad = list.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= this.vocabSize);
    if (bad >= 0) throw new TokenizerError('tokenizer.json', `cannot decode token id ${list[bad]} at position ${bad}: ids run from 0 to ${this.vocabSize - 1}.`);
    return this.inner.decode(list, { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  tokenToId(token: string): number | undefined {
    return this.inner.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.inner.id_to_token(id);
  }

  /** The token texts of the end ids, for finding where a rendered assistant turn ends. */
  get eosTokens(): string[] {
    return this.eosIds.map((id) => this.idToToken(id)).filter((t): t is string => t !== undefined);
  }
}

/** chat_template is a string, or (older configs) a list of {name, template}: take "default". */
function pickChatTemplate(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value.map(asObject).filter((t): t is Json => t !== null && typeof t.template === 'string');
    const chosen = named.find((t) => t.name === 'default') ?? named[0];
    return chosen ? (chosen.template as string) : null;
  }
  return null;
}
