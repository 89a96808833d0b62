// The Train step's runs as a TRL recipe zip: each run's rows and arguments under its name, a README
// with the commands, the Hub id as the model when the model came from the Hub.
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { trlArguments, trlRecipeZip } from '../../src/studio/experiment-trl';
import { PAPER_LORA, trainConfig } from '../../src/train/config';

const example = (i: number) => ({ messages: [{ role: 'user' as const, content: `q${i}` }, { role: 'assistant' as const, content: `a${i}` }], meta: { source: 'task' } });

describe('TRL recipe zip', () => {
  it('holds each run\'s data and arguments, and the commands', () => {
    const plain = { name: 'plain', config: { lr: 1e-3, epochs: 2, batchSize: 8, lora: { r: 8 } }, examples: [example(1), example(2)] };
    const full = { name: 'grsap', config: { method: 'full' as const, lr: 2e-6 }, examples: [example(3)] };
    const files = unzipSync(trlRecipeZip('hf:HuggingFaceTB/SmolLM2-135M-Instruct@main', [plain, full]));
    expect(Object.keys(files).sort()).toEqual(['README.md', 'grsap/recipe.json', 'grsap/train.jsonl', 'plain/recipe.json', 'plain/train.jsonl']);
    expect(strFromU8(files['plain/train.jsonl']).trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ messages: example(1).messages }, { messages: example(2).messages }]);
    const recipe = JSON.parse(strFromU8(files['plain/recipe.json']));
    const config = trainConfig(PAPER_LORA, plain.config);
    expect(recipe.arguments).toEqual(Object.fromEntries(trlArguments(config, 'HuggingFaceTB/SmolLM2-135M-Instruct', 'plain', 'output/plain')));
    expect(recipe.arguments).toMatchObject({ learning_rate: '0.001', num_train_epochs: '2', per_device_train_batch_size: '8', lora_r: '8' });
    expect(JSON.parse(strFromU8(files['grsap/recipe.json'])).arguments.use_peft).toBeUndefined();
    const readme = strFromU8(files['README.md']);
    expect(readme).toMatch(/^# TRL \/ PEFT recipe of training runs on `HuggingFaceTB\/SmolLM2-135M-Instruct`/);
    expect(readme).toContain('trl sft');
    expect(() => trlRecipeZip('url:x', [])).toThrow(/no finished trained unit/);
  });
});
