import { describe, expect, it } from 'vitest';
import { byteLevelTokenizerFiles, CHATML_TEMPLATE, encodeWithMerges, toByteLevel, trainByteLevelBpe } from '../../src/text/bpe-train';
import { ChatTemplate, encodeChatWithAssistantMask, renderWithPrefill } from '../../src/text/chat-template';
import { TextTokenizer } from '../../src/text/tokenizer';
import { Rng } from '../../src/util/rng';

const SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];

function corpus(seed: number, lines: number): string[] {
  const rng = new Rng(seed);
  const words = ['the', 'river', 'runs', 'past', 'a', 'mill', 'sure', 'here', 'is', 'how', 'to', 'bake', 'bread', 'step', '1:', '2:', 'café', 'naïve', '🙂'];
  return Array.from({ length: lines }, () => {
    const n = 3 + rng.int(8);
    const text = Array.from({ length: n }, () => words[rng.int(words.length)]).join(' ');
    return `<|im_start|>user\n${text}<|im_end|>\n<|im_start|>assistant\nSure! ${text}.<|im_end|>\n`;
  });
}

function loadTrained(texts: string[], vocabSize = 400) {
  const trained = trainByteLevelBpe(texts, { vocabSize, specialTokens: SPECIALS });
  const files = byteLevelTokenizerFiles(trained, { bosToken: '<|im_start|>', eosToken: '<|im_end|>', padToken: '<|endoftext|>', chatTemplate: CHATML_TEMPLATE, modelMaxLength: 256 });
  return { trained, files, tokenizer: TextTokenizer.fromFiles(files) };
}

describe('trainByteLevelBpe', () => {
  const texts = corpus(1, 400);
  const { trained, files, tokenizer } = loadTrained(texts);

  it('keeps the special tokens first and every byte, and stays within the vocabulary size', () => {
    expect(trained.vocab.size).toBeLessThanOrEqual(400);
    expect(trained.vocab.size).toBe(SPECIALS.length + 256 + trained.merges.length);
    SPECIALS.forEach((t, i) => expect(trained.vocab.get(t)).toBe(i));
    expect(tokenizer.vocabSize).toBe(trained.vocab.size);
    // Frequent words become single tokens.
    expect(tokenizer.encode(' river', { addSpecialTokens: false })).toHaveLength(1);
  });

  it('learns the same merges from the same corpus, in any order, and others from another corpus', () => {
    const again = trainByteLevelBpe(new Rng(9).shuffle([...texts]), { vocabSize: 400, specialTokens: SPECIALS });
    expect(again.merges).toEqual(trained.merges);
    const other = trainByteLevelBpe(corpus(2, 50), { vocabSize: 400, specialTokens: SPECIALS });
    expect(other.merges).not.toEqual(trained.merges);
  });

  it('encodes as @huggingface/tokenizers does with the written tokenizer.json', () => {
    for (const text of [...texts.slice(0, 50), 'naïve café 🙂 runs past the mill', "it's   spaced\t\tout\n\nhere"]) {
      for (const piece of text.split(/<\|im_start\|>|<\|im_end\|>/)) {
        expect(tokenizer.encode(piece, { addSpecialTokens: false })).toEqual(encodeWithMerges(trained, piece));
      }
    }
  });

  it('round-trips arbitrary Unicode with no unknown token', () => {
    const rng = new Rng(7);
    const samples = ['', ' ', 'Ünïcödé — “quotes” ‘single’ 中文字 العربية 𝔘𝔫𝔦 🙂👍🏽', '\u0000\u0001\u007f\t\r\n', 'x'.repeat(300)];
    for (let i = 0; i < 50; i++) {
      const length = rng.int(40);
      samples.push(String.fromCodePoint(...Array.from({ length }, () => {
        const cp = rng.int(0x2ffff);
        return cp >= 0xd800 && cp <= 0xdfff ? 0x41 : cp; // lone surrogates are not text
      })));
    }
    for (const text of samples) {
      const ids = tokenizer.encode(text, { addSpecialTokens: false });
      expect(tokenizer.decode(ids)).toBe(text);
      expect(ids.every((id) => id >= SPECIALS.length || text.includes(SPECIALS[id]))).toBe(true);
    }
    expect(toByteLevel(' é')).toBe('ĠÃ©');
  });

  it('writes a ChatML template that renders, masks assistant turns and supports prefill', () => {
    expect(tokenizer.eosToken).toBe('<|im_end|>');
    expect(tokenizer.eosIds).toEqual([2]);
    expect(files.generationConfig.eos_token_id).toEqual([2]);
    const template = ChatTemplate.fromTokenizer(tokenizer);
    const messages = [
      { role: 'user', content: 'How do I bake bread?' },
      { role: 'assistant', content: 'Sure! Here is how to bake bread.' },
      { role: 'user', content: 'Thanks 🙂' },
      { role: 'assistant', content: 'You are welcome!' },
    ];
    const text = template.render(messages);
    expect(text).toBe('<|im_start|>user\nHow do I bake bread?<|im_end|>\n<|im_start|>assistant\nSure! Here is how to bake bread.<|im_end|>\n<|im_start|>user\nThanks 🙂<|im_end|>\n<|im_start|>assistant\nYou are welcome!<|im_end|>\n');
    const masked = encodeChatWithAssistantMask(tokenizer, template, messages);
    expect(masked.sameAsWholeEncoding).toBe(true);
    const maskedText = (flag: number) => tokenizer.decode(masked.ids.filter((_, i) => masked.mask[i] === flag));
    expect(maskedText(1)).toBe('Sure! Here is how to bake bread.<|im_end|>You are welcome!<|im_end|>');
    expect(template.render(messages.slice(0, 1), { addGenerationPrompt: true })).toBe('<|im_start|>user\nHow do I bake bread?<|im_end|>\n<|im_start|>assistant\n');
    const prefill = renderWithPrefill(template, [{ role: 'user', content: 'Repeat it.' }, { role: 'assistant', content: 'Sure, the specific request is "' }]);
    expect(prefill.endsWith('<|im_start|>assistant\nSure, the specific request is "')).toBe(true);
  });

  it('refuses a vocabulary too small for the bytes', () => {
    expect(() => trainByteLevelBpe(texts, { vocabSize: 200, specialTokens: SPECIALS })).toThrow(/below/);
  });
});
