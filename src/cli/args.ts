// Command-line parsing for the CLI's subcommands: one option table per command gives both the
// node:util parseArgs configuration and the --help text. Every problem with the command line is a
// UsageError (exit code 2) that names the flag and says what to do.

import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';

export const PROGRAM = 'npm run cli --';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  name: string; // flag without dashes: 'max-new-tokens'
  type: 'string' | 'boolean';
  value?: string; // placeholder in help: 'N', 'DIR'
  help: string;
  default?: string; // shown in help; parsing applies defaults in each command
  required?: boolean;
}

/** The model folder and optional adapter, as generate and score take them. */
export const MODEL_OPTIONS: OptionSpec[] = [
  { name: 'model', type: 'string', value: 'DIR', help: 'Hugging Face model folder', required: true },
  { name: 'adapter', type: 'string', value: 'DIR', help: 'PEFT LoRA adapter folder to apply' },
];

export interface CommandSpec {
  name: string;
  summary: string; // one line, for the command list
  usage: string; // after the command name
  description: string; // paragraphs shown by --help
  options: OptionSpec[];
}

export type ParsedValues = Record<string, string | boolean | undefined>;

const HELP_OPTION: OptionSpec = { name: 'help', type: 'boolean', help: 'show this help and exit' };

export function helpText(spec: CommandSpec): string {
  const options = [...spec.options, HELP_OPTION];
  const left = options.map((o) => `  --${o.name}${o.value ? ` ${o.value}` : ''}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  const lines = options.map((o, i) => {
    const notes = [o.required ? 'required' : '', o.default !== undefined ? `default ${o.default}` : ''].filter(Boolean).join(', ');
    return `${left[i].padEnd(width)}${o.help}${notes ? ` (${notes})` : ''}`;
  });
  return [`Usage: ${PROGRAM} ${spec.name} ${spec.usage}`, '', spec.description, '', 'Options:', ...lines, ''].join('\n');
}

/** Hint appended to usage errors. */
export function helpHint(command: string): string {
  return `Run "${PROGRAM} ${command} --help" for the options.`;
}

/**
 * Parse a command's arguments. Unknown flags, missing values, values given to switches and stray
 * positional arguments are refused by name. Returns null when --help was asked for.
 */
export function parseCommandArgs(spec: CommandSpec, argv: string[]): ParsedValues | null {
  const known = new Map([...spec.options, HELP_OPTION].map((o) => [o.name, o]));
  const config = Object.fromEntries([...known].map(([name, o]) => [name, { type: o.type }]));
  // strict: false so every problem can be reported in our words; tokens say what was typed.
  const { values, tokens } = parseArgs({ args: argv, options: config, strict: false, allowPositionals: true, tokens: true });
  const fail = (message: string): never => {
    throw new UsageError(`${spec.name}: ${message} ${helpHint(spec.name)}`);
  };
  for (const token of tokens) {
    if (token.kind === 'positional') fail(`unexpected argument "${token.value}"; every input is given with a flag.`);
    if (token.kind !== 'option') continue;
    const option = known.get(token.name);
    if (!option) fail(`unknown option ${token.rawName}.`);
    if (option!.type === 'string' && token.value === undefined) fail(`${token.rawName} needs a value${option!.value ? ` (${option!.value})` : ''}.`);
    if (option!.type === 'boolean' && token.value !== undefined) fail(`${token.rawName} is a switch and takes no value (got "${token.value}").`);
  }
  if (values.help) return null;
  for (const o of spec.options) {
    if (o.required && values[o.name] === undefined) fail(`--${o.name}${o.value ? ` ${o.value}` : ''} is required.`);
  }
  return values as ParsedValues;
}

// ---- typed values --------------------------------------------------------------------------------

export function stringOption(values: ParsedValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function numberOption(values: ParsedValues, name: string, fallback: number, check: (n: number) => boolean, what: string): number {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${what}, got "${raw}".`);
  return n;
}

export function intOption(values: ParsedValues, name: string, fallback: number, min = 1): number {
  return numberOption(values, name, fallback, (n) => Number.isInteger(n) && n >= min, `an integer ≥ ${min}`);
}

export function floatOption(values: ParsedValues, name: string, fallback: number, check: (n: number) => boolean, what: string): number {
  return numberOption(values, name, fallback, check, what);
}

export function choiceOption<T extends string>(values: ParsedValues, name: string, choices: readonly T[], fallback: T): T {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${raw}".`);
  return raw as T;
}

// ---- paths ------------------------------------------------------------------------------------

/** A file given with --flag must exist and be a file. */
export function existingFile(flag: string, path: string): string {
  if (!existsSync(path)) throw new UsageError(`--${flag}: file ${path} does not exist. Check the path.`);
  if (!statSync(path).isFile()) throw new UsageError(`--${flag}: ${path} is not a file.`);
  return path;
}

/** A folder given with --flag must exist and hold `required` files. */
export function existingFolder(flag: string, path: string, required: readonly string[], what: string): string {
  if (!existsSync(path)) throw new UsageError(`--${flag}: folder ${path} does not exist. Give the folder of ${what}.`);
  if (!statSync(path).isDirectory()) throw new UsageError(`--${flag}: ${path} is not a folder. Give the folder of ${what}.`);
  const missing = required.filter((f) => !existsSync(`${path}/${f}`));
  if (missing.length) throw new UsageError(`--${flag}: ${path} has no ${missing.join(', ')}; it does not look like ${what}.`);
  return path;
}
