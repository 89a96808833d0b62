import { describe, expect, it } from 'vitest';
import { exportWorld, WORLD_VOCAB_SIZE } from '../../src/studio/world-export';
import { ChatTemplate, encodeChatWithAssistantMask } from '../../src/text/chat-template';
import { parseDataset } from '../../src/text/datasets';
import { TextTokenizer } from '../../src/text/tokenizer';

describe('exportWorld', () => {
  const sizes = { train: 40, validation: 20, test: 20 };
  const { files, manifest } = exportWorld({ seed: 2, stage1Count: 1500, stage2Count: 300, taskSizes: sizes, withIds: true });
  const byPath = new Map(files.map((f) => [f.path, f.contents]));
  const json = (path: string) => JSON.parse(byPath.get(path)!);

  it('writes every dataset as messages JSONL that the dataset reader loads, with metadata', () => {
    const stage1 = parseDataset(byPath.get('stage1.jsonl')!, 'stage1.jsonl');
    expect(stage1).toHaveLength(1500);
    expect(parseDataset(byPath.get('stage2.jsonl')!, 'stage2.jsonl')).toHaveLength(300);
    const dev = parseDataset(byPath.get('eval/harmful-dev.jsonl')!, 'harmful-dev.jsonl');
    expect(dev.length).toBeGreaterThanOrEqual(150);
    expect(dev[0].meta).toMatchObject({ split: 'dev' });
    expect(dev[0].meta?.domain).toBeTruthy();
    expect(dev[0].meta?.act).toBeTruthy();
    for (const task of ['profiles', 'sums', 'sentiment']) {
      expect(parseDataset(byPath.get(`tasks/${task}/test.jsonl`)!, 'test.jsonl')).toHaveLength(sizes.test);
    }
    expect(manifest.counts['eval/over-refusal.jsonl']).toBeGreaterThanOrEqual(150);
    expect(json('world.json').domains).toHaveLength(manifest.domains.length);
  });

  it('writes a tokenizer that loads, fits the vocabulary limit and gives the ids it writes', () => {
    const tokenizer = TextTokenizer.fromFiles({
      tokenizerJson: json('tokenizer/tokenizer.json'),
      tokenizerConfig: json('tokenizer/tokenizer_config.json'),
      generationConfig: json('tokenizer/generation_config.json'),
    });
    expect(tokenizer.vocabSize).toBeLessThanOrEqual(WORLD_VOCAB_SIZE);
    expect(manifest.vocabSize).toBe(tokenizer.vocabSize);
    const template = ChatTemplate.fromTokenizer(tokenizer);
    const stage2 = parseDataset(byPath.get('stage2.jsonl')!, 'stage2.jsonl');
    const ids = byPath.get('ids/stage2.jsonl')!.trim().split('\n').map((line) => JSON.parse(line) as { ids: number[]; mask: number[] });
    expect(ids).toHaveLength(stage2.length);
    let total = 0;
    stage2.forEach((example, i) => {
      const encoded = encodeChatWithAssistantMask(tokenizer, template, example.messages);
      expect(ids[i].ids).toEqual(encoded.ids);
      expect(ids[i].mask).toEqual(Array.from(encoded.mask));
      total += encoded.ids.length;
    });
    expect(manifest.tokens['stage2.jsonl']).toBe(total);
  });
});
