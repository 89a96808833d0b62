// `generate` and `score` run as child processes on the tiny fixture model, checked against the
// engine called directly in this process: prompts rendered by hand with the chat template,
// generate() one prompt at a time (so the CLI's batching must not change greedy output), and
// scoreExamples on masks from encodeChatWithAssistantMask.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import { generate } from '../../src/model/generate';
import { loadModel, type LoadedModel } from '../../src/studio/load-model';
import { scoreExamples } from '../../src/model/score';
import { NodeFolderModelSource } from '../../src/storage/model-source';
import { encodeChatWithAssistantMask, type ChatMessage } from '../../src/text/chat-template';
import { testGpu } from '../helpers/gpu';
import { CHAT_DATA, jsonLines, removeTempFolders, runCli, tempFolder, TINY_MODEL } from './run-cli';

let gpu: Gpu;
let loaded: LoadedModel;

beforeAll(async () => {
  gpu = await testGpu();
  loaded = await loadModel(gpu, new NodeFolderModelSource(TINY_MODEL));
});
afterAll(() => {
  loaded?.model.destroy();
  removeTempFolders();
});

describe('CLI generate', () => {
  it('greedy JSONL equals generate() on each chat-rendered prompt, batched 3 at a time', async () => {
    const conversation: ChatMessage[] = [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'What is the weather like today?' },
    ];
    const lines = [JSON.stringify({ prompt: 'hello there, how are you?' }), JSON.stringify('the user asked'), JSON.stringify({ messages: conversation }), JSON.stringify({ prompt: 'Sure' })];
    const dir = tempFolder({ 'prompts.jsonl': `${lines.join('\n')}\n` });
    const MAX_NEW = 10;
    const cli = await runCli(['generate', '--model', TINY_MODEL, '--input', join(dir, 'prompts.jsonl'), '--chat', '--max-new-tokens', String(MAX_NEW), '--batch-size', '3']);
    expect(cli.code, cli.stderr).toBe(0);
    const got = jsonLines<{ prompt: unknown; completion: string; finish: string }>(cli.stdout);
    expect(got.map((g) => g.prompt)).toEqual(['hello there, how are you?', 'the user asked', conversation, 'Sure']);

    const { tokenizer, template, model, cfg } = loaded;
    const eos = [...new Set([...tokenizer.eosIds, ...cfg.eosTokenIds])];
    const conversations: ChatMessage[][] = [[{ role: 'user', content: 'hello there, how are you?' }], [{ role: 'user', content: 'the user asked' }], conversation, [{ role: 'user', content: 'Sure' }]];
    for (const [i, messages] of conversations.entries()) {
      const text = template!.render(messages, { addGenerationPrompt: true });
      expect(text.endsWith('<|im_start|>assistant\n')).toBe(true);
      const ids = tokenizer.encode(text, { addSpecialTokens: false });
      const direct = await generate(model, [ids], { maxNewTokens: MAX_NEW, sampling: { temperature: 0 }, eosIds: eos });
      const tokens = direct.tokens[0];
      const shown = direct.finish[0] === 'eos' ? tokens.slice(0, -1) : tokens;
      expect(got[i].finish, `prompt ${i}`).toBe(direct.finish[0]);
      expect(got[i].completion, `prompt ${i}`).toBe(tokenizer.decode(shown));
      if (direct.finish[0] === 'length') expect(tokens).toHaveLength(MAX_NEW);
    }
  });

  it('raw prompts without --chat are encoded as plain text', async () => {
    const cli = await runCli(['generate', '--model', TINY_MODEL, '--prompt', 'the weather is', '--max-new-tokens', '6']);
    expect(cli.code, cli.stderr).toBe(0);
    const [line] = jsonLines<{ completion: string; finish: string }>(cli.stdout);
    const direct = await generate(loaded.model, [loaded.tokenizer.encode('the weather is')], { maxNewTokens: 6, sampling: { temperature: 0 }, eosIds: [...loaded.tokenizer.eosIds, ...loaded.cfg.eosTokenIds] });
    const tokens = direct.finish[0] === 'eos' ? direct.tokens[0].slice(0, -1) : direct.tokens[0];
    expect(line.completion).toBe(loaded.tokenizer.decode(tokens));
    expect(line.finish).toBe(direct.finish[0]);
  });
});

describe('CLI score', () => {
  it('scores the assistant tokens of every layout as scoreExamples does, skipping what has no answer', async () => {
    const noAnswer = JSON.stringify({ messages: [{ role: 'user', content: 'is anyone there?' }] });
    const dir = tempFolder({ 'data.jsonl': `${CHAT_DATA}\n${noAnswer}\n` });
    const cli = await runCli(['score', '--model', TINY_MODEL, '--input', join(dir, 'data.jsonl'), '--batch-size', '4']);
    expect(cli.code, cli.stderr).toBe(0);
    const rows = jsonLines<{ index: number; logprob: number; tokens: number; perplexity: number }>(cli.stdout);
    expect(rows.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(cli.stderr).toMatch(/example \[6\] skipped: no assistant turn/);

    // The same six conversations, masked and scored here one at a time (no batching to share).
    const { tokenizer, template, model } = loaded;
    const conversations: ChatMessage[][] = [
      [{ role: 'user', content: 'hello there' }, { role: 'assistant', content: 'I am fine, thank you.' }],
      [{ role: 'user', content: 'What is the weather like today?' }, { role: 'assistant', content: 'the weather is fine today' }],
      [{ role: 'user', content: 'answer the question\n\nhow are you?' }, { role: 'assistant', content: 'I am fine.' }],
      [{ role: 'user', content: 'Please answer the request' }, { role: 'assistant', content: 'Sure, the request is answered.' }],
      [{ role: 'user', content: 'who asked the question?' }, { role: 'assistant', content: 'the user asked the question' }],
      [{ role: 'user', content: 'say hello' }, { role: 'assistant', content: 'hello there' }],
    ];
    const examples = conversations.map((m) => {
      const e = encodeChatWithAssistantMask(tokenizer, template!, m);
      return { ids: e.ids, lossMask: e.mask };
    });
    const direct = await scoreExamples(model, examples, { batchSize: 1, padId: 0 });
    let logprob = 0;
    let tokens = 0;
    rows.forEach((r, i) => {
      // Assistant content plus <|im_end|>: the count is exact; the sum agrees up to f32 rounding.
      expect(r.tokens, `example ${i}`).toBe(direct[i].tokens);
      expect(Math.abs(r.logprob - direct[i].logprob), `example ${i}`).toBeLessThan(1e-3);
      expect(r.perplexity).toBeCloseTo(Math.exp(-r.logprob / r.tokens), 6);
      logprob += r.logprob;
      tokens += r.tokens;
    });
    const summary = cli.stderr.match(/summary: 6 examples scored, 1 skipped, (\d+) tokens; mean loss ([\d.]+), perplexity ([\d.]+)/);
    expect(summary, cli.stderr).not.toBeNull();
    expect(Number(summary![1])).toBe(tokens);
    expect(Number(summary![2])).toBeCloseTo(-logprob / tokens, 4);
  });
});
