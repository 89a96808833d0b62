// Fakes for the GR-SAP step tests: a generator whose answer follows the request text, so the tests
// know which answers are safe, and a judge that reads the answer's first word.

import type { ChatGenerationOptions, ChatGenerator, ChatPrompt, GeneratedText } from '../../../src/safety/chat-generation';
import type { Judge, JudgePair, Verdict } from '../../../src/safety/judges/judge';
import type { ReplayPair, ReplayRequest } from '../../../src/safety/replay-pair';

export interface GeneratorCall {
  prompts: ChatPrompt[];
  options: ChatGenerationOptions;
}

/**
 * Answers a user turn by `answer(lastUserContent)`; continues an open turn with `continueWith(i)`
 * (i counts open-turn prompts across calls). Records every call. Honours the signal like the engine.
 */
export function fakeGenerator(answer: (content: string) => string | GeneratedText, continueWith: (i: number) => string | GeneratedText = () => ''): ChatGenerator & { calls: GeneratorCall[] } {
  const calls: GeneratorCall[] = [];
  let opened = 0;
  const generator = async (prompts: readonly ChatPrompt[], options: ChatGenerationOptions) => {
    options.signal?.throwIfAborted();
    calls.push({ prompts: prompts.map((p) => ({ ...p, messages: p.messages.map((m) => ({ ...m })) })), options });
    return prompts.map((p) => {
      const out = p.continueFinal ? continueWith(opened++) : answer(p.messages[p.messages.length - 1].content);
      return typeof out === 'string' ? { text: out, tokens: out.split(' ').length, finish: 'eos' as const } : out;
    });
  };
  return Object.assign(generator, { calls });
}

/** Labels by how the answer starts: 'Sure' harmful, '???' unlabelled, anything else safe. Records pairs. */
export class FirstWordJudge implements Judge {
  readonly name = 'test:first-word';
  readonly measures = "'harmful' when the answer starts with Sure";
  readonly seen: JudgePair[] = [];
  async judge(pairs: readonly JudgePair[]): Promise<Verdict[]> {
    this.seen.push(...pairs);
    return pairs.map((p) => {
      const label = p.response.startsWith('Sure') ? 'harmful' : p.response.startsWith('???') ? 'unlabelled' : 'safe';
      return { label, score: label === 'harmful' ? 0.9 : label === 'safe' ? 0.1 : null, judge: this.name };
    });
  }
}

export function requests(n: number, domain = 'cybercrime'): ReplayRequest[] {
  return Array.from({ length: n }, (_, i) => ({ domain, request: `request ${i}` }));
}

let made = 0;
/** A replay pair of the given kind, with a unique request. */
export function pair(kind: ReplayPair['kind'], domain = 'violence'): ReplayPair {
  const id = made++;
  return { kind, source: { domain, request: `${kind} request ${id}` }, response: `${kind} answer ${id}`, verdict: { label: 'safe', score: 0.05, judge: 'test:first-word' }, revised: kind === 'hard', seed: id };
}

export function pairs(kind: ReplayPair['kind'], n: number): ReplayPair[] {
  return Array.from({ length: n }, () => pair(kind));
}
