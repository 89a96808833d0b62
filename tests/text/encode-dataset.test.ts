// Chat examples → tokenized training/scoring examples with a report of what was skipped, and
// generation prompts with or without the chat template (tiny ChatML fixture tokenizer, no GPU).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChatTemplate, ChatTemplateError, encodeChatWithAssistantMask } from '../../src/text/chat-template';
import type { ChatExample } from '../../src/text/datasets';
import { describeSkipped, encodeChatExamples, encodePrompt } from '../../src/text/encode-dataset';
import { TextTokenizer } from '../../src/text/tokenizer';

const FIXTURE = join(import.meta.dirname, '../fixtures/tiny-chat');
const tokenizer = TextTokenizer.fromFiles({
  tokenizerJson: JSON.parse(readFileSync(join(FIXTURE, 'tokenizer.json'), 'utf8')),
  tokenizerConfig: JSON.parse(readFileSync(join(FIXTURE, 'tokenizer_config.json'), 'utf8')),
  generationConfig: JSON.parse(readFileSync(join(FIXTURE, 'generation_config.json'), 'utf8')),
});
const template = ChatTemplate.fromTokenizer(tokenizer);

const answered = (q: string, a: string): ChatExample => ({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: a }] });

describe('encodeChatExamples', () => {
  it('keeps usable examples with their assistant masks and reports the rest by index and reason', () => {
    const examples: ChatExample[] = [
      answered('hello there', 'I am fine.'),
      { messages: [{ role: 'user', content: 'no answer yet' }] },
      answered('What is the weather like today?', 'the weather is fine today, thank you for the question'),
      answered('say hello', 'hello'),
    ];
    const long = encodeChatWithAssistantMask(tokenizer, template, examples[2].messages).ids.length;
    const { examples: out, sourceIndex, report } = encodeChatExamples(tokenizer, template, examples, { skipLongerThan: long - 1 });
    expect(sourceIndex).toEqual([0, 3]);
    expect(report).toMatchObject({ total: 4, encoded: 2 });
    expect(report.skipped.map((s) => s.index)).toEqual([1, 2]);
    expect(report.skipped[0].reason).toMatch(/no assistant turn/);
    expect(report.skipped[1].reason).toBe(`${long} tokens, longer than the limit of ${long - 1}`);
    expect(describeSkipped(report, 1)).toEqual([`example [1] skipped: ${report.skipped[0].reason}`, '… and 1 more skipped']);

    // Same ids and mask as encoding the conversation directly; the mask covers "hello<|im_end|>".
    const direct = encodeChatWithAssistantMask(tokenizer, template, examples[3].messages);
    expect(out[1].ids).toEqual(direct.ids);
    expect(Array.from(out[1].lossMask)).toEqual(Array.from(direct.mask));
    const learned = out[1].ids.filter((_, t) => out[1].lossMask[t]);
    expect(tokenizer.decode(learned)).toBe('hello<|im_end|>');
  });
});

describe('encodePrompt', () => {
  it('renders text as a user turn ending in the assistant header, conversations as given, raw text without a template', () => {
    const chat = tokenizer.decode(encodePrompt(tokenizer, template, 'hi'));
    expect(chat).toBe('<|im_start|>system\nYou are a tiny test assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
    const conversation = tokenizer.decode(encodePrompt(tokenizer, template, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }]));
    expect(conversation).toBe('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
    expect(tokenizer.decode(encodePrompt(tokenizer, null, 'the user asked'))).toBe('the user asked');
    expect(() => encodePrompt(tokenizer, null, [{ role: 'user', content: 'hi' }])).toThrow(ChatTemplateError);
  });
});
