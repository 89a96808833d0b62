// `score`: log-likelihood of the assistant turns of each example, JSONL
// {index, logprob, tokens, perplexity} on stdout and a summary (mean loss, perplexity) on stderr.

import { meanLoss, scoreChats } from '../studio/inference';
import { describeSkipped } from '../text/encode-dataset';
import { MODEL_OPTIONS, intOption, stringOption, type CommandSpec, type ParsedValues } from './args';
import { checkModelFolders, openModel, readDataset, type CliContext } from './common';

export const scoreSpec: CommandSpec = {
  name: 'score',
  summary: 'score the assistant turns of a dataset (log-likelihood, perplexity)',
  usage: '--model DIR --input FILE.jsonl [options]',
  description: [
    'Renders each example with the chat template and sums log p of its assistant tokens (content and',
    'end-of-turn token) given everything before them. Prints one JSON line per example:',
    '{"index", "logprob", "tokens", "perplexity"} (index counts records from 0), then a summary on',
    'stderr. Reads JSONL, JSON or CSV in the "messages", ShareGPT "conversations", Alpaca or',
    '"prompt"/"completion" layouts. Examples that cannot be scored are listed on stderr and left out.',
  ].join('\n'),
  options: [
    ...MODEL_OPTIONS,
    { name: 'input', type: 'string', value: 'FILE.jsonl', help: 'examples to score', required: true },
    { name: 'batch-size', type: 'string', value: 'B', help: 'examples per forward pass', default: '8' },
  ],
};

export async function runScore(values: ParsedValues, ctx: CliContext): Promise<number> {
  const modelDir = stringOption(values, 'model')!;
  const adapterDir = stringOption(values, 'adapter');
  const input = stringOption(values, 'input')!;
  const batchSize = intOption(values, 'batch-size', 8);
  checkModelFolders(modelDir, adapterDir);
  const examples = readDataset('input', input);

  const { loaded } = await openModel(ctx, modelDir, adapterDir);
  const { scores, report } = await scoreChats(loaded, examples, {
    batchSize,
    signal: ctx.signal,
    onProgress: (done, total) => ctx.log(`scored ${done}/${total}`),
  });
  for (const line of describeSkipped(report)) ctx.log(line);
  for (const s of scores) ctx.out(JSON.stringify({ index: s.index, logprob: s.logprob, tokens: s.tokens, perplexity: s.perplexity }));
  const loss = meanLoss(scores);
  const tokens = scores.reduce((n, s) => n + s.tokens, 0);
  ctx.log(`summary: ${scores.length} examples scored, ${report.skipped.length} skipped, ${tokens} tokens; mean loss ${loss.toFixed(4)}, perplexity ${Math.exp(loss).toFixed(3)}`);
  loaded.model.destroy();
  if (!scores.length) {
    ctx.log(`score: none of the ${examples.length} examples in ${input} could be scored (reasons above).`);
    return 1;
  }
  return 0;
}
