// Runs the CLI as a child process, exactly as `npm run cli --` does, and collects its output.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const TINY_MODEL = join(REPO_ROOT, 'tests/fixtures/tiny-model');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** Resolves once stderr has shown a line matching `pattern`. */
  waitForStderr(pattern: RegExp): Promise<void>;
}

export function startCli(args: string[]): CliRun {
  const child = spawn(process.execPath, ['--import', './src/cli/register.mjs', 'src/cli/main.ts', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => {
    stderr += d;
    for (const w of waiters.splice(0)) {
      if (w.pattern.test(stderr)) w.resolve();
      else waiters.push(w);
    }
  });
  const done = new Promise<CliResult>((resolveDone, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolveDone({ code, signal, stdout, stderr }));
  });
  const waitForStderr = (pattern: RegExp) =>
    new Promise<void>((resolveWait, reject) => {
      if (pattern.test(stderr)) return resolveWait();
      waiters.push({ pattern, resolve: resolveWait });
      done.then((r) => reject(new Error(`CLI exited (${r.code}) before printing ${pattern}; stderr:\n${r.stderr}`)));
    });
  return { child, done, waitForStderr };
}

export function runCli(args: string[]): Promise<CliResult> {
  return startCli(args).done;
}

/** Parse JSONL output (one JSON value per non-empty line). */
export function jsonLines<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

const folders: string[] = [];

/** Delete every folder tempFolder made (register with afterAll in each test file). */
export function removeTempFolders(): void {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh temporary folder with the given files written into it. */
export function tempFolder(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'grsap-cli-'));
  folders.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Training/scoring data in several layouts parseDataset reads. */
export const CHAT_DATA = [
  { messages: [{ role: 'user', content: 'hello there' }, { role: 'assistant', content: 'I am fine, thank you.' }] },
  { prompt: 'What is the weather like today?', completion: 'the weather is fine today' },
  { instruction: 'answer the question', input: 'how are you?', output: 'I am fine.' },
  { conversations: [{ from: 'human', value: 'Please answer the request' }, { from: 'gpt', value: 'Sure, the request is answered.' }] },
  { question: 'who asked the question?', answer: 'the user asked the question' },
  { prompt: 'say hello', completion: 'hello there' },
]
  .map((r) => JSON.stringify(r))
  .join('\n');
