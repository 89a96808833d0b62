// Taking a run further: each trained unit of an experiment as a TRL / PEFT recipe, so a user who
// outgrows the browser continues on a GPU cluster with the same data and hyper-parameters. Per unit
// a folder with the mixed dataset (train.jsonl, the `messages` layout TRL's SFTTrainer reads as a
// conversational dataset) and recipe.json (the arguments), and one README with the `trl sft` and
// `accelerate launch` commands. Only the files are made here; the host writes them.
//
// How our settings map onto TRL / transformers arguments:
//   lr, epochs, batch, accumulation      learning_rate, num_train_epochs, per_device_train_batch_size, gradient_accumulation_steps
//   maxLength                            max_length (TRL ≥ 0.20; older versions call it max_seq_length)
//   warm-up then cosine to minLrRatio    lr_scheduler_type cosine_with_min_lr, lr_scheduler_kwargs {"min_lr_rate": minLrRatio}, warmup_ratio
//   AdamW                                adam_beta1/2, adam_epsilon, weight_decay, max_grad_norm
//   loss on assistant tokens             assistant_only_loss true (needs a chat template with generation markers)
//   LoRA r, alpha, dropout, targets      use_peft, lora_r, lora_alpha, lora_dropout, lora_target_modules (q → q_proj …)

import { strToU8, zipSync } from 'fflate';
import { paperTrainConfig, type TrainConfig, type TrainOverrides } from '../train/config';
import type { ChatExample } from '../text/datasets';

const TARGET_MODULES: Record<string, string> = { q: 'q_proj', k: 'k_proj', v: 'v_proj', o: 'o_proj', gate: 'gate_proj', up: 'up_proj', down: 'down_proj' };

export interface TrlUnit {
  unit: string; // the unit's id: its folder in the recipe
  config: TrainConfig; // as the unit trained (train-run.json)
  examples: readonly ChatExample[]; // the mixed rows it trained on
}

/** The `trl sft` arguments for one unit, in order (flag without dashes → value; '' for a switch). */
export function trlArguments(config: TrainConfig, model: string, datasetDir: string, outputDir: string): [string, string][] {
  const o = config.optimizer;
  const args: [string, string][] = [
    ['model_name_or_path', model],
    ['dataset_name', datasetDir],
    ['learning_rate', String(config.lr)],
    ['num_train_epochs', String(config.epochs)],
    ['per_device_train_batch_size', String(config.batchSize)],
    ['gradient_accumulation_steps', String(config.gradAccumulation)],
    ['max_length', String(config.maxLength)],
    ['lr_scheduler_type', 'cosine_with_min_lr'],
    ['lr_scheduler_kwargs', JSON.stringify({ min_lr_rate: config.minLrRatio })],
    ['warmup_ratio', String(config.warmupRatio)],
    ['weight_decay', String(o.weightDecay)],
    ['adam_beta1', String(o.beta1)],
    ['adam_beta2', String(o.beta2)],
    ['adam_epsilon', String(o.eps)],
    ['max_grad_norm', String(o.maxGradNorm)],
    ['seed', String(config.seed)],
    ...(config.groupByLength ? ([['group_by_length', 'true']] as [string, string][]) : []),
    ['assistant_only_loss', 'true'],
    ['dtype', 'float32'],
    ['output_dir', outputDir],
  ];
  if (config.method === 'lora') {
    args.push(['use_peft', ''], ['lora_r', String(config.lora.r)], ['lora_alpha', String(config.lora.alpha)], ['lora_dropout', String(config.lora.dropout)], ['lora_target_modules', config.lora.targets.map((t) => TARGET_MODULES[t] ?? t).join(' ')]);
  }
  return args;
}

const shellQuote = (v: string) => (/^[\w./:=@+-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);

/** The arguments as a shell command line (continued over lines). */
export function trlCommand(program: string, args: readonly [string, string][]): string {
  const parts = args.map(([flag, value]) => {
    if (value === '') return `--${flag}`;
    if (flag === 'lora_target_modules') return `--${flag} ${value.split(' ').map(shellQuote).join(' ')}`;
    return `--${flag} ${shellQuote(value)}`;
  });
  return [program, ...parts].join(' \\\n  ');
}

function datasetJsonl(examples: readonly ChatExample[]): string {
  // Only the messages: TRL reads extra string columns fine, but the mix's provenance is not training data.
  return examples.map((e) => JSON.stringify({ messages: e.messages })).join('\n') + '\n';
}

/** The recipe's files (path → text) for the given units of a run; `title` names the run ('experiment run `runs/quick` (preset quick)'). */
export function trlRecipeFiles(run: { title: string; model: string }, units: readonly TrlUnit[]): Map<string, string> {
  if (!units.length) throw new Error('TRL export: the run has no finished trained unit yet; export after at least one unit has trained.');
  const files = new Map<string, string>();
  const sections: string[] = [];
  for (const u of units) {
    const args = trlArguments(u.config, run.model, u.unit, `output/${u.unit}`);
    files.set(`${u.unit}/train.jsonl`, datasetJsonl(u.examples));
    files.set(`${u.unit}/recipe.json`, `${JSON.stringify({ unit: u.unit, rows: u.examples.length, arguments: Object.fromEntries(args), ours: u.config }, null, 2)}\n`);
    sections.push(
      `### ${u.unit}`,
      '',
      `${u.examples.length} rows in \`${u.unit}/train.jsonl\`; ${u.config.method === 'lora' ? `LoRA r ${u.config.lora.r}, alpha ${u.config.lora.alpha}, dropout ${u.config.lora.dropout}` : 'full fine-tuning'}.`,
      '',
      '```sh',
      trlCommand('trl sft', args),
      '```',
      '',
      'On several GPUs (the batch is per device: divide `--per_device_train_batch_size` or `--gradient_accumulation_steps` by the number of GPUs to keep the effective batch):',
      '',
      '```sh',
      trlCommand('accelerate launch --num_processes 4 -m trl.scripts.sft', args),
      '```',
      '',
    );
  }
  files.set(
    'README.md',
    [
      `# TRL / PEFT recipe of ${run.title}`,
      '',
      'Each folder holds one trained run (for an experiment: one arm, task and seed): `train.jsonl` is exactly the mixed data the',
      'browser engine trained on, in the `messages` layout (user turn, assistant turn), and `recipe.json` the',
      'arguments below beside our own settings. The commands carry the same hyper-parameters: learning rate, epochs,',
      'batch, accumulation, max length, warm-up and cosine decay to the same floor, AdamW settings, seed, and for LoRA',
      'the rank, alpha, dropout and target modules. Run them from this folder (`--dataset_name` is the unit folder,',
      'which `datasets.load_dataset` reads as JSON lines).',
      '',
      `The model: \`${run.model}\` is how the run named it; give the Hub id or the local folder of the same model.`,
      '',
      'Notes:',
      '- The loss is on assistant tokens only, as here: `--assistant_only_loss true` needs a chat template with',
      '  `{% generation %}` markers; for a template without them, turn each line into',
      '  `{"prompt": [user turn], "completion": [assistant turn]}` and drop the flag (TRL then learns the completion only).',
      '- `--max_length` is `--max_seq_length` in TRL before 0.20. `--dtype` is `--torch_dtype` in older versions.',
      '- Numbers will not match bit for bit (another shuffle, another LoRA initialisation, bf16 kernels); the',
      '  comparison between arms is what carries over.',
      '',
      ...sections,
    ].join('\n'),
  );
  return files;
}

/** Training runs of one's own (the app's Train step) as the recipe's files in one zip; `modelId` is the loaded model's source id. */
export function trlRecipeZip(modelId: string, runs: readonly { name: string; config: TrainOverrides; examples: readonly ChatExample[] }[]): Uint8Array {
  const model = modelId.replace(/^hf:/, '').replace(/@main$/, '');
  const units = runs.map((r) => ({ unit: r.name, config: paperTrainConfig(r.config), examples: r.examples }));
  const files = trlRecipeFiles({ title: `training runs on \`${model}\``, model }, units);
  return zipSync(Object.fromEntries([...files].map(([path, text]) => [path, strToU8(text)])));
}
