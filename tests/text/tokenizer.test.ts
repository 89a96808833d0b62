import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ChatTemplate,
  ChatTemplateError,
  encodeChatWithAssistantMask,
  renderChat,
  renderWithPrefill,
  type ChatMessage,
} from '../../src/text/chat-template';
import { TextTokenizer } from '../../src/text/tokenizer';

const FIXTURE = join(import.meta.dirname, '../fixtures/tiny-chat');
const readFixture = (name: string) => JSON.parse(readFileSync(join(FIXTURE, name), 'utf8'));
const loadFixture = () =>
  TextTokenizer.load(async (name) => {
    try {
      return readFileSync(join(FIXTURE, name), 'utf8');
    } catch {
      return null;
    }
  });

const SYSTEM_DEFAULT = '<|im_start|>system\nYou are a tiny test assistant.<|im_end|>\n';
const conversation: ChatMessage[] = [
  { role: 'user', content: 'hello there, how are you?' },
  { role: 'assistant', content: 'I am fine, thank you.' },
  { role: 'user', content: 'What is the weather like today? 🙂' },
  { role: 'assistant', content: 'Sure: the weather is "sunny" — 23 °C.\nAnything else?' },
];

describe('TextTokenizer', () => {
  it('round-trips text through encode and decode', async () => {
    const tok = await loadFixture();
    for (const text of ['hello there, the assistant', ' leading space', 'a\n\nb  c\t', 'é 🙂 中文 — "quoted"', '']) {
      const ids = tok.encode(text, { addSpecialTokens: false });
      expect(tok.decode(ids)).toBe(text);
    }
    // Learned merges are used: "the" is one token, not three bytes.
    expect(tok.encode(' the', { addSpecialTokens: false })).toEqual([tok.tokenToId('Ġthe')]);
  });

  it('reads special tokens from tokenizer_config.json and the eos list from generation_config.json', async () => {
    const tok = await loadFixture();
    expect([tok.bosId, tok.eosId, tok.padId]).toEqual([1, 2, 0]);
    expect(tok.eosIds).toEqual([2, 0]);
    expect(tok.eosTokens).toEqual(['<|im_end|>', '<|endoftext|>']);
    expect([tok.bosToken, tok.eosToken, tok.padToken]).toEqual(['<|im_start|>', '<|im_end|>', '<|endoftext|>']);
    expect([...tok.specialIds].sort()).toEqual([0, 1, 2]);
    expect(tok.vocabSize).toBe(Object.keys(readFixture('tokenizer.json').model.vocab).length);
  });

  it('encodes special-token text as one id and can skip special tokens when decoding', async () => {
    const tok = await loadFixture();
    const ids = tok.encode('<|im_start|>user\nhi<|im_end|>', { addSpecialTokens: false });
    expect(ids[0]).toBe(1);
    expect(ids[ids.length - 1]).toBe(2);
    expect(tok.decode(ids)).toBe('<|im_start|>user\nhi<|im_end|>');
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('user\nhi');
    expect(() => tok.decode([5, 9999])).toThrow(/cannot decode token id 9999 at position 1/);
  });

  it('adds post-processor tokens only when addSpecialTokens is set', () => {
    const json = readFixture('tokenizer.json');
    json.post_processor = {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [0], tokens: ['<|endoftext|>'] } },
    };
    const tok = TextTokenizer.fromFiles({ tokenizerJson: json, tokenizerConfig: readFixture('tokenizer_config.json') });
    const plain = tok.encode('hello', { addSpecialTokens: false });
    expect(tok.encode('hello')).toEqual([0, ...plain]);
    expect(tok.encode('hello', { addSpecialTokens: true })).toEqual([0, ...plain]);
  });

  it('accepts special tokens stored as objects, and a single eos id, and names a missing token', () => {
    const config = { ...readFixture('tokenizer_config.json'), eos_token: { content: '<|im_end|>', __type: 'AddedToken' }, pad_token: null };
    const tok = TextTokenizer.fromFiles({ tokenizerJson: readFixture('tokenizer.json'), tokenizerConfig: config, generationConfig: { eos_token_id: 2 } });
    expect([tok.eosId, tok.eosIds, tok.padId]).toEqual([2, [2], null]);
    expect(() =>
      TextTokenizer.fromFiles({ tokenizerJson: readFixture('tokenizer.json'), tokenizerConfig: { eos_token: '</s>' } }),
    ).toThrow(/tokenizer_config\.json: eos_token "<\/s>" is not in the vocabulary/);
    expect(() => TextTokenizer.fromFiles({ tokenizerJson: { nope: 1 } })).toThrow(/tokenizer\.json: expected an object with a "model" entry/);
  });
});

describe('chat templates', () => {
  it('renders ChatML with the default system turn and the generation prompt', async () => {
    const tok = await loadFixture();
    const messages = conversation.slice(0, 1);
    expect(renderChat(tok, messages)).toBe(`${SYSTEM_DEFAULT}<|im_start|>user\nhello there, how are you?<|im_end|>\n`);
    expect(renderChat(tok, messages, { addGenerationPrompt: true })).toBe(
      `${SYSTEM_DEFAULT}<|im_start|>user\nhello there, how are you?<|im_end|>\n<|im_start|>assistant\n`,
    );
    const withSystem = renderChat(tok, [{ role: 'system', content: 'Be brief.' }, ...messages]);
    expect(withSystem.startsWith('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n')).toBe(true);
  });

  it('passes special tokens and extra variables, and surfaces raise_exception', () => {
    const template = new ChatTemplate(
      "{{ bos_token }}{% if pad_token is defined %}P{% endif %}{{ greeting }}{% for m in messages %}{% if m['role'] == 'tool' %}{{ raise_exception('tools are not supported') }}{% endif %}{{ m['content'] + eos_token }}{% endfor %}",
      { bosToken: '<s>', eosToken: '</s>' },
    );
    expect(template.render([{ role: 'user', content: 'x' }], { greeting: 'hi ' })).toBe('<s>hi x</s>');
    expect(() => template.render([{ role: 'tool', content: 'x' }])).toThrow(ChatTemplateError);
    expect(() => template.render([{ role: 'tool', content: 'x' }])).toThrow(/tools are not supported/);
    expect(() => new ChatTemplate('{% for %}')).toThrow(/chat template: could not be parsed/);
  });

  it('takes chat_template.jinja over the config, and the "default" entry of a template list', () => {
    const files = { tokenizerJson: readFixture('tokenizer.json'), tokenizerConfig: readFixture('tokenizer_config.json') };
    expect(TextTokenizer.fromFiles({ ...files, chatTemplateJinja: 'J' }).chatTemplate).toBe('J');
    const listed = { ...files.tokenizerConfig, chat_template: [{ name: 'tool_use', template: 'T' }, { name: 'default', template: 'D' }] };
    expect(TextTokenizer.fromFiles({ ...files, tokenizerConfig: listed }).chatTemplate).toBe('D');
    const none = TextTokenizer.fromFiles({ ...files, tokenizerConfig: { ...files.tokenizerConfig, chat_template: undefined } });
    expect(() => renderChat(none, conversation)).toThrow(/the checkpoint has none/);
  });
});

/** Split ids into maximal runs of equal mask value and decode each run. */
function decodeRuns(tok: TextTokenizer, ids: number[], mask: Uint8Array, flag: number): string[] {
  const runs: string[] = [];
  let run: number[] = [];
  ids.forEach((id, i) => {
    if (mask[i] === flag) run.push(id);
    if ((mask[i] !== flag || i === ids.length - 1) && run.length) {
      runs.push(tok.decode(run));
      run = [];
    }
  });
  return runs;
}

describe('completion-only assistant mask', () => {
  it('marks exactly each assistant content plus its end token', async () => {
    const tok = await loadFixture();
    const template = ChatTemplate.fromTokenizer(tok);
    const { text, ids, mask, sameAsWholeEncoding } = encodeChatWithAssistantMask(tok, template, conversation);
    expect(text).toBe(template.render(conversation));
    expect(ids.length).toBe(mask.length);
    expect(tok.decode(ids)).toBe(text);
    expect(decodeRuns(tok, ids, mask, 1)).toEqual(['I am fine, thank you.<|im_end|>', 'Sure: the weather is "sunny" — 23 °C.\nAnything else?<|im_end|>']);
    const unmasked = decodeRuns(tok, ids, mask, 0);
    expect(unmasked[1]).toBe('\n<|im_start|>user\nWhat is the weather like today? 🙂<|im_end|>\n<|im_start|>assistant\n');
    expect(unmasked[unmasked.length - 1]).toBe('\n');
    expect(sameAsWholeEncoding).toBe(true);
  });

  it('finds the content inside a trimming template with its own bos and separators', async () => {
    const tok = await loadFixture();
    const template = new ChatTemplate(
      "{{ bos_token }}{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n\\n' + m['content'] | trim + '<|im_end|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n\\n' }}{% endif %}",
      tok,
    );
    const messages = [{ role: 'user', content: ' hi ' }, { role: 'assistant', content: '  the answer \n' }];
    const { ids, mask } = encodeChatWithAssistantMask(tok, template, messages);
    expect(decodeRuns(tok, ids, mask, 1)).toEqual(['the answer<|im_end|>']);
    expect(tok.decode(ids)).toBe('<|im_start|><|im_start|>user\n\nhi<|im_end|><|im_start|>assistant\n\nthe answer<|im_end|>');
  });

  it('trains on the whole turn when the template writes no end token', async () => {
    const tok = await loadFixture();
    const template = new ChatTemplate("{% for m in messages %}{{ '### ' + m['role'] + ': ' + m['content'] + '\\n\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '### assistant: ' }}{% endif %}");
    const { ids, mask } = encodeChatWithAssistantMask(tok, template, conversation.slice(0, 2));
    expect(decodeRuns(tok, ids, mask, 1)).toEqual(['I am fine, thank you.\n\n']);
  });

  it('refuses a template that rewrites earlier turns instead of masking wrongly', async () => {
    const tok = await loadFixture();
    // Marks the final assistant turn differently from earlier ones (as templates that strip history reasoning do).
    const template = new ChatTemplate(
      "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] }}{% if loop.last %}{{ ' (latest)' }}{% endif %}{{ '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
    );
    expect(() => encodeChatWithAssistantMask(tok, template, conversation)).toThrow(/not prefix-stable at message 1 \(assistant\)/);
  });
});

describe('prefill rendering', () => {
  const request = 'You refused a specific request that raised violence concerns. Repeat the specific request and explain why it was refused.';
  const prefill = 'Sure, the specific request is "';

  it('leaves the assistant turn open right after the prefill', async () => {
    const tok = await loadFixture();
    const template = ChatTemplate.fromTokenizer(tok);
    const text = renderWithPrefill(template, [{ role: 'user', content: request }, { role: 'assistant', content: prefill }]);
    expect(text).toBe(template.render([{ role: 'user', content: request }], { addGenerationPrompt: true }) + prefill);
    const ids = tok.encode(text, { addSpecialTokens: false });
    expect(tok.decode(ids).endsWith(`<|im_start|>assistant\n${prefill}`)).toBe(true);
    const openTurn = ids.slice(ids.lastIndexOf(tok.tokenToId('<|im_start|>')!));
    expect(openTurn).not.toContain(tok.eosId); // the assistant turn is not closed
    expect(ids.filter((id) => id === tok.eosId)).toHaveLength(2); // system and user turns are
  });

  it('leaves a user turn open (user prefill) and keeps trailing spaces a trimming template would drop', async () => {
    const tok = await loadFixture();
    const template = ChatTemplate.fromTokenizer(tok);
    const open = 'I asked a request that you refused. The request is "';
    expect(renderWithPrefill(template, [{ role: 'user', content: open }])).toBe(`${SYSTEM_DEFAULT}<|im_start|>user\n${open}`);
    const trimming = new ChatTemplate("{% for m in messages %}{{ '[' + m['role'] + '] ' + m['content'] | trim + '</s>' }}{% endfor %}");
    expect(renderWithPrefill(trimming, [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'Sure, ' }])).toBe('[user] q</s>[assistant] Sure, ');
  });

  it('refuses when the final message content cannot be located', () => {
    const hiding = new ChatTemplate("{% for m in messages %}{{ m['role'] }}{% endfor %}");
    expect(() => renderWithPrefill(hiding, [{ role: 'assistant', content: 'x' }])).toThrow(/cannot find where the final assistant message ends/);
    expect(() => renderWithPrefill(hiding, [])).toThrow(/at least one message/);
  });
});
