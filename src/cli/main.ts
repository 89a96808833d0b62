// The command-line entry: `npm run cli -- <command> [options]`, running the same engine code as the
// browser worker (src/studio, src/model, src/train) on Dawn. Exit codes: 0 done, 1 failed,
// 2 usage error (bad flag, missing file), 130 interrupted (Ctrl-C or SIGTERM; training saves a
// checkpoint).

import { helpText, parseCommandArgs, PROGRAM, UsageError, type CommandSpec, type ParsedValues } from './args';
import { createContext, type CliContext } from './common';
import { evaluateSpec, runEvaluate } from './evaluate';
import { experimentSpec, runExperimentCommand } from './experiment';
import { generateSpec, runGenerate } from './generate';
import { judgeSpec, runJudge } from './judge';
import { mixSpec, runMix } from './mix';
import { organismSpec, runOrganism } from './organism';
import { replaySpec, runReplay } from './replay';
import { runScore, scoreSpec } from './score';
import { runTrain, trainSpec } from './train';
import { runTrainGuard, trainGuardSpec } from './train-guard';
import { runWorld, worldSpec } from './world';

interface Command {
  spec: CommandSpec;
  run(values: ParsedValues, ctx: CliContext): Promise<number>;
}

const COMMANDS: Command[] = [
  { spec: generateSpec, run: runGenerate },
  { spec: scoreSpec, run: runScore },
  { spec: trainSpec, run: runTrain },
  { spec: worldSpec, run: runWorld },
  { spec: organismSpec, run: runOrganism },
  { spec: trainGuardSpec, run: runTrainGuard },
  { spec: judgeSpec, run: runJudge },
  { spec: replaySpec, run: runReplay },
  { spec: mixSpec, run: runMix },
  { spec: evaluateSpec, run: runEvaluate },
  { spec: experimentSpec, run: runExperimentCommand },
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    '',
    `Run "${PROGRAM} <command> --help" for a command's options.`,
    '',
  ].join('\n');
}

async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(overview());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) throw new UsageError(`unknown command "${name}"; the commands are ${COMMANDS.map((c) => c.spec.name).join(', ')}. Run "${PROGRAM} --help".`);
  const values = parseCommandArgs(command.spec, rest);
  if (!values) {
    process.stdout.write(helpText(command.spec));
    return 0;
  }
  return command.run(values, ctx);
}

function isAbort(e: unknown): boolean {
  return (e as { name?: string } | null)?.name === 'AbortError';
}

// Ctrl-C (SIGINT) and SIGTERM (what `timeout`, `docker stop` and job schedulers send) both stop
// long work after the current step, so training saves a checkpoint; a second signal exits at once.
const controller = new AbortController();
for (const [signal, name] of [['SIGINT', 'Ctrl-C'], ['SIGTERM', 'SIGTERM']] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) {
      process.stderr.write(`second ${name}: exiting without saving.\n`);
      process.exit(130);
    }
    process.stderr.write(`${name}: stopping after the current step (send it again to exit at once)…\n`);
    controller.abort();
  });
}

const ctx = createContext(controller.signal);
let code: number;
try {
  code = await main(process.argv.slice(2), ctx);
} catch (e) {
  if (e instanceof UsageError) {
    process.stderr.write(`error: ${e.message}\n`);
    code = 2;
  } else if (isAbort(e)) {
    process.stderr.write('interrupted.\n');
    code = 130;
  } else {
    process.stderr.write(`error: ${(e as Error)?.message ?? String(e)}\n`);
    if (process.env.GRSAP_DEBUG) process.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
    code = 1;
  }
}
ctx.release();
// Let piped stdout/stderr drain before exiting; Dawn would keep Node alive otherwise.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
process.exit(code);
