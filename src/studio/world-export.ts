// Export of the synthetic world: the stage datasets, task splits and evaluation sets as JSONL in the
// `messages` layout, the byte-level BPE tokenizer trained on the training text, optional token ids
// with loss masks, and a manifest with the sizes. Only file contents come back; the host writes them.

import { byteLevelTokenizerFiles, CHATML_TEMPLATE, trainByteLevelBpe } from '../text/bpe-train';
import { ChatTemplate, encodeChatWithAssistantMask } from '../text/chat-template';
import { toJsonl, type ChatExample } from '../text/datasets';
import { encodePrompt } from '../text/encode-dataset';
import { TextTokenizer } from '../text/tokenizer';
import { generateWorldData, heldOutActs, stage1Mix, stage2Mix, TASK_NAMES, type WorldData, type WorldDataOptions } from '../world';

export const WORLD_SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;
export const WORLD_VOCAB_SIZE = 2048;
export const WORLD_MAX_LENGTH = 256; // tokens; the longest world conversation is far shorter

export interface WorldExportOptions extends WorldDataOptions {
  withIds?: boolean; // also write ids/*.jsonl: ids and assistant masks of the training sets, prompt ids of the evaluation sets
  onProgress?: (message: string) => void;
}

export interface ExportedFile {
  path: string; // relative to the export folder, '/'-separated
  contents: string;
}

export interface WorldManifest {
  seed: number;
  variant: string; // the training data's design (WORLD_VARIANTS)
  devSets: boolean; // whether eval/*-dev.jsonl were held out and written
  vocabSize: number;
  merges: number;
  counts: Record<string, number>; // examples per file
  tokens: Record<string, number>; // tokens per training set (whole rendered conversations)
  mix: { stage1: Record<string, number>; stage2: Record<string, number> };
  domains: { name: string; trainActs: string[]; devActs: string[]; testActs: string[] }[];
  overRefusalActs: string[];
}

/** The chat texts a tokenizer is trained on: the rendered training conversations, never evaluation prompts. */
function trainingTexts(data: WorldData, template: ChatTemplate): string[] {
  const tasks = TASK_NAMES.flatMap((t) => data.evalSets.tasks[t].train);
  return [...data.stage1, ...data.stage2, ...tasks].map((e) => template.render(e.messages));
}

export function exportWorld(options: WorldExportOptions = {}): { files: ExportedFile[]; manifest: WorldManifest } {
  const log = options.onProgress ?? (() => undefined);
  const data = generateWorldData(options);
  const { world, evalSets } = data;
  log(`world seed ${world.seed}: ${data.stage1.length} stage-1 and ${data.stage2.length} stage-2 conversations`);

  const plainTemplate = new ChatTemplate(CHATML_TEMPLATE, {});
  const trained = trainByteLevelBpe(trainingTexts(data, plainTemplate), { vocabSize: WORLD_VOCAB_SIZE, specialTokens: WORLD_SPECIAL_TOKENS });
  log(`tokenizer: ${trained.vocab.size} tokens, ${trained.merges.length} merges`);
  const tokenizerFiles = byteLevelTokenizerFiles(trained, {
    bosToken: '<|im_start|>',
    eosToken: '<|im_end|>',
    padToken: '<|endoftext|>',
    chatTemplate: CHATML_TEMPLATE,
    modelMaxLength: WORLD_MAX_LENGTH,
  });
  const tokenizer = TextTokenizer.fromFiles(tokenizerFiles);
  const template = ChatTemplate.fromTokenizer(tokenizer);

  const sets: Record<string, ChatExample[]> = {
    'stage1.jsonl': data.stage1,
    'stage2.jsonl': data.stage2,
    'eval/harmful-dev.jsonl': evalSets.harmfulDev,
    'eval/harmful-test.jsonl': evalSets.harmfulTest,
    'eval/over-refusal.jsonl': evalSets.overRefusal,
    'eval/benign-checks.jsonl': evalSets.benignChecks,
    ...(world.devSets ? { 'eval/over-refusal-dev.jsonl': evalSets.overRefusalDev, 'eval/benign-checks-dev.jsonl': evalSets.benignChecksDev } : {}),
  };
  for (const task of TASK_NAMES) {
    for (const split of ['train', 'validation', 'test'] as const) sets[`tasks/${task}/${split}.jsonl`] = evalSets.tasks[task][split];
  }
  const files: ExportedFile[] = Object.entries(sets).map(([path, examples]) => ({ path, contents: toJsonl(examples) }));
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  files.push(
    { path: 'tokenizer/tokenizer.json', contents: json(tokenizerFiles.tokenizerJson) },
    { path: 'tokenizer/tokenizer_config.json', contents: json(tokenizerFiles.tokenizerConfig) },
    { path: 'tokenizer/generation_config.json', contents: json(tokenizerFiles.generationConfig) },
  );

  const tokens: Record<string, number> = {};
  const trainingSets = ['stage1.jsonl', 'stage2.jsonl', ...TASK_NAMES.map((t) => `tasks/${t}/train.jsonl`)];
  for (const path of trainingSets) {
    const lines: string[] = [];
    let total = 0;
    for (const example of sets[path]) {
      const encoded = encodeChatWithAssistantMask(tokenizer, template, example.messages);
      total += encoded.ids.length;
      if (options.withIds) lines.push(JSON.stringify({ ids: encoded.ids, mask: Array.from(encoded.mask) }));
    }
    tokens[path] = total;
    if (options.withIds) files.push({ path: `ids/${path}`, contents: `${lines.join('\n')}\n` });
    log(`${path}: ${sets[path].length} conversations, ${total} tokens`);
  }

  if (options.withIds) {
    // Evaluation prompts as the model sees them at generation time: the user turn and the assistant header.
    const promptSets = Object.keys(sets).filter((path) => !trainingSets.includes(path) && !path.startsWith('stage'));
    for (const path of promptSets) {
      const lines = sets[path].map((example) => JSON.stringify({ ids: encodePrompt(tokenizer, template, example.messages.filter((m) => m.role === 'user').slice(-1)) }));
      files.push({ path: `ids/${path}`, contents: `${lines.join('\n')}\n` });
    }
  }

  const manifest: WorldManifest = {
    seed: world.seed,
    variant: world.variantName,
    devSets: world.devSets,
    vocabSize: tokenizer.vocabSize,
    merges: trained.merges.length,
    counts: Object.fromEntries(Object.entries(sets).map(([path, examples]) => [path, examples.length])),
    tokens,
    mix: { stage1: { ...stage1Mix(world) }, stage2: { ...stage2Mix(world) } as Record<string, number> },
    domains: world.domains.map((d) => ({ name: d.domain.name, trainActs: d.trainActs, devActs: d.devActs, testActs: d.testActs })),
    overRefusalActs: world.scaryHeldOut.map((item) => item.act),
  };
  if (heldOutActs(world).length !== manifest.domains.reduce((s, d) => s + d.devActs.length + d.testActs.length, 0)) throw new Error('world export: held-out acts are inconsistent.');
  files.push({ path: 'world.json', contents: json(manifest) });
  return { files, manifest };
}

export { DEFAULT_STAGE1_COUNT, DEFAULT_STAGE2_COUNT, WORLD_VARIANTS, type WorldVariant } from '../world';
