// `generate`: completions for one prompt or a JSONL file of prompts, printed as JSONL
// {prompt, completion, finish} in input order.

import { readFileSync } from 'node:fs';
import type { ChatMessage } from '../text/chat-template';
import type { PromptInput } from '../text/encode-dataset';
import { generateTexts } from '../studio/inference';
import { MODEL_OPTIONS, existingFile, floatOption, intOption, stringOption, UsageError, type CommandSpec, type ParsedValues } from './args';
import { checkModelFolders, openModel, type CliContext } from './common';
import { readJsonl } from '../text/jsonl';

export const generateSpec: CommandSpec = {
  name: 'generate',
  summary: 'generate completions for prompts (JSONL out)',
  usage: '--model DIR (--prompt TEXT | --input FILE.jsonl) [options]',
  description: [
    'Prints one JSON line per prompt: {"prompt", "completion", "finish"}; finish is "eos" (the model',
    'ended its turn), or "length" (--max-new-tokens reached). Each line of --input is a JSON object',
    '{"prompt": "..."} or {"messages": [{"role": "user", "content": "..."}, ...]}, or a JSON string.',
    'A "messages" conversation is always rendered with the chat template; text prompts only with --chat.',
    'Greedy output (temperature 0) does not depend on --batch-size; sampled output does.',
  ].join('\n'),
  options: [
    ...MODEL_OPTIONS,
    { name: 'prompt', type: 'string', value: 'TEXT', help: 'one prompt' },
    { name: 'input', type: 'string', value: 'FILE.jsonl', help: 'prompts, one per line' },
    { name: 'chat', type: 'boolean', help: 'render text prompts as a user turn with the chat template' },
    { name: 'max-new-tokens', type: 'string', value: 'N', help: 'tokens to generate at most per prompt', default: '128' },
    { name: 'temperature', type: 'string', value: 'T', help: 'sampling temperature; 0 = greedy', default: '0' },
    { name: 'top-k', type: 'string', value: 'K', help: 'sample among the K most likely tokens; 0 = off', default: '0' },
    { name: 'top-p', type: 'string', value: 'P', help: 'nucleus sampling mass; 1 = off', default: '1' },
    { name: 'seed', type: 'string', value: 'S', help: 'sampling seed', default: '0' },
    { name: 'batch-size', type: 'string', value: 'B', help: 'prompts generated together', default: '8' },
  ],
};

interface PromptLine {
  prompt: PromptInput; // as given: text or messages
}

/** One prompt file line: a JSON string, {"prompt": "..."} or {"messages": [...]}. */
function promptOf(value: unknown, where: string): PromptLine {
  if (typeof value === 'string') return { prompt: value };
  const record = value as { prompt?: unknown; messages?: unknown } | null;
  if (record && typeof record.prompt === 'string') return { prompt: record.prompt };
  if (record && Array.isArray(record.messages)) {
    const messages = record.messages as ChatMessage[];
    if (!messages.length || messages.some((m) => !m || typeof m.role !== 'string' || typeof m.content !== 'string')) {
      throw new Error(`${where}: "messages" must be a non-empty list of {"role", "content"} strings.`);
    }
    return { prompt: messages.map((m) => ({ role: m.role, content: m.content })) };
  }
  throw new Error(`${where}: expected {"prompt": "..."}, {"messages": [...]} or a JSON string.`);
}

/** Prompts from a JSONL file; errors name the file and the line. */
export function readPromptFile(path: string): PromptLine[] {
  const records = readJsonl(readFileSync(path, 'utf8'), (line, message) => new Error(`${path} line ${line} is not valid JSON (${message}).`));
  if (!records.length) throw new Error(`--input ${path} holds no prompts.`);
  return records.map(({ line, value }) => promptOf(value, `${path} line ${line}`));
}

export async function runGenerate(values: ParsedValues, ctx: CliContext): Promise<number> {
  const modelDir = stringOption(values, 'model')!;
  const adapterDir = stringOption(values, 'adapter');
  const promptText = stringOption(values, 'prompt');
  const input = stringOption(values, 'input');
  if ((promptText === undefined) === (input === undefined)) throw new UsageError('generate: give exactly one of --prompt TEXT or --input FILE.jsonl.');
  const maxNewTokens = intOption(values, 'max-new-tokens', 128);
  const temperature = floatOption(values, 'temperature', 0, (t) => t >= 0, 'a number ≥ 0');
  const topK = intOption(values, 'top-k', 0, 0);
  const topP = floatOption(values, 'top-p', 1, (p) => p > 0 && p <= 1, 'a number in (0, 1]');
  const seed = intOption(values, 'seed', 0, 0);
  const batchSize = intOption(values, 'batch-size', 8);
  checkModelFolders(modelDir, adapterDir);
  const prompts = input !== undefined ? readPromptFile(existingFile('input', input)) : [{ prompt: promptText! }];

  const { loaded } = await openModel(ctx, modelDir, adapterDir);
  const chat = values.chat === true;
  if (chat && !loaded.template) throw new UsageError(`generate: --chat needs a chat template, and ${modelDir} has none (no chat_template in tokenizer_config.json). Drop --chat to generate from raw text.`);
  const t0 = performance.now();
  let generated = 0;
  await generateTexts(
    loaded,
    prompts.map((p) => p.prompt),
    {
      chat,
      maxNewTokens,
      sampling: { temperature, topK, topP, seed },
      batchSize,
      signal: ctx.signal,
      onBatch: (start, results) => {
        results.forEach((r, b) => ctx.out(JSON.stringify({ prompt: prompts[start + b].prompt, completion: r.completion, finish: r.finish })));
        generated += results.reduce((s, r) => s + r.tokens.length, 0);
        ctx.log(`generated ${start + results.length}/${prompts.length} prompts, ${generated} tokens, ${(generated / ((performance.now() - t0) / 1000)).toFixed(1)} tok/s`);
      },
    },
  );
  loaded.model.destroy();
  return 0;
}
