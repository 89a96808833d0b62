// The tiny ChatML tokenizer of tests/fixtures/tiny-chat, loaded from disk.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TextTokenizer } from '../../../src/text/tokenizer';

export const TINY_CHAT = join(import.meta.dirname, '..', '..', 'fixtures', 'tiny-chat');

export function tinyChatFiles(): { tokenizerJson: unknown; tokenizerConfig: unknown } {
  const read = (name: string) => JSON.parse(readFileSync(join(TINY_CHAT, name), 'utf8')) as unknown;
  return { tokenizerJson: read('tokenizer.json'), tokenizerConfig: read('tokenizer_config.json') };
}

export function tinyChatTokenizer(): TextTokenizer {
  return TextTokenizer.fromFiles(tinyChatFiles());
}
