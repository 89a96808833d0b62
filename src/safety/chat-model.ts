// A loaded chat model as GR-SAP's steps need it: weights on the GPU, tokenizer, chat template. The
// studio's LoadedModel has this shape; the method does not import the studio (tests/layering.test.ts).

import type { ModelConfig } from '../model/config';
import type { DecoderModel } from '../model/model';
import type { ChatTemplate } from '../text/chat-template';
import type { TextTokenizer } from '../text/tokenizer';

export interface ChatModel {
  id: string; // e.g. 'hf:HuggingFaceTB/SmolLM2-135M-Instruct@main'
  cfg: ModelConfig;
  model: DecoderModel;
  tokenizer: TextTokenizer;
  template: ChatTemplate | null; // null for a base model; the prompted steps need one
}

/** Ids that end a turn: the tokenizer's end tokens and config.json's eos_token_id. */
export function stopIdsOf(loaded: Pick<ChatModel, 'cfg' | 'tokenizer'>): number[] {
  return [...new Set([...loaded.tokenizer.eosIds, ...loaded.cfg.eosTokenIds])];
}

/** The pad id for batches: the tokenizer's, else its end token, else 0 (padding is masked anyway). */
export function padIdOf(tokenizer: TextTokenizer): number {
  return tokenizer.padId ?? tokenizer.eosId ?? 0;
}
