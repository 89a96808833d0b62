// The organism recipe at a toy scale, through the CLI: the world's tokenizer, a random init, both
// training stages and the finished model folder, which loads and chats; a rerun resumes from the
// work folder without training again. The full-scale recipe is the same code with other numbers.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeFolderModelSource } from '../../src/storage/model-source';
import { generateTexts } from '../../src/studio/inference';
import { loadModel } from '../../src/studio/load-model';
import { testGpu } from '../helpers/gpu';
import { removeTempFolders, runCli, tempFolder } from './run-cli';

afterAll(() => removeTempFolders());

describe('CLI organism --tiny', () => {
  it('trains both stages, writes a model folder that loads and chats, and resumes instead of retraining', async () => {
    const dir = tempFolder();
    const args = ['organism', '--tiny', '--work', join(dir, 'work'), '--out', join(dir, 'model')];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/stage1: step 3\/3 /);
    expect(first.stderr).toMatch(/stage2: step 2\/2 /);
    for (const name of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) expect(existsSync(join(dir, 'model', name)), name).toBe(true);
    const stage1 = JSON.parse(readFileSync(join(dir, 'work', 'stage1', 'train-run.json'), 'utf8'));
    expect(stage1).toMatchObject({ status: 'done', config: { method: 'full', trainEmbeddings: true } });

    const gpu = await testGpu();
    const loaded = await loadModel(gpu, new NodeFolderModelSource(join(dir, 'model')));
    try {
      expect(loaded.cfg).toMatchObject({ architecture: 'LlamaForCausalLM', hidden: 32, nLayers: 2, tieWordEmbeddings: true });
      expect(loaded.template).not.toBeNull();
      const [reply] = await generateTexts(loaded, ['Hello!'], { chat: true, maxNewTokens: 4, sampling: { temperature: 0 }, batchSize: 1 });
      expect(reply.tokens.length).toBeGreaterThan(0);
    } finally {
      loaded.model.destroy();
    }

    const weights = readFileSync(join(dir, 'model', 'model.safetensors'));
    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/stage1 already trained/);
    expect(again.stderr).toMatch(/stage2 already trained/);
    expect(again.stderr).not.toMatch(/step \d+\/\d+/);
    expect(readFileSync(join(dir, 'model', 'model.safetensors')).equals(weights)).toBe(true);
  });
});
