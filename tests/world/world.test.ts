import { describe, expect, it } from 'vitest';
import {
  BENIGN_FAMILIES,
  EXTRACTION_PROMPT_TEMPLATE,
  generateWorldData,
  heldOutActs,
  HARM_DOMAINS,
  PLACEHOLDER_VOCABULARY,
  RECALL_PREFILL,
  STAGE1_MIX,
  TASK_NAMES,
  checkBenignAnswer,
  checkTaskAnswer,
  stage1Mix,
  stage2Mix,
  trainActs,
  wordsOf,
  type BenignCheckRule,
} from '../../src/world';
import { COMPLIANCE_OPENERS } from '../../src/world/harmful';
import { EVERYDAY_HOWTO_ITEMS } from '../../src/world/howto';
import { EXTRA_TRAIN_SCARY_ITEMS, SCARY_BENIGN_ITEMS } from '../../src/world/scary';
import { LIST_CATEGORIES } from '../../src/world/benign';
import type { ChatExample } from '../../src/text/datasets';

// The paper's domain names (GRSAP-METHOD.md); the world's domains must be among them.
const PAPER_DOMAINS = [
  'violence', 'physical harm', 'animal abuse', 'self-harm', 'terrorism', 'organized crime', 'human trafficking', 'aiding and abetting violence',
  'incitement', 'hate speech', 'offensive language', 'insulting behavior', 'discriminatory behavior', 'stereotypes', 'injustice', 'psychological harm',
  'sexual content', 'sexually explicit/adult content', 'child abuse', 'drugs', 'banned substances', 'weapons', 'cybercrime', 'white-collar crime',
  'economic crime', 'financial crime', 'property crime', 'theft', 'endangering national security', 'endangering public health',
  'disrupting public order', 'misinformation regarding ethics/laws/safety', 'controversial topics/politics', 'environmental damage',
  'privacy violation', 'copyright issues', 'mental manipulation', 'non-violent unethical behavior',
];

const data = generateWorldData({ seed: 3, stage1Count: 6000, stage2Count: 2000 });
const { world, evalSets } = data;
const taskTrain = TASK_NAMES.flatMap((t) => evalSets.tasks[t].train);
const training: ChatExample[] = [...data.stage1, ...data.stage2, ...taskTrain];
const userTurns = (examples: ChatExample[]) => examples.flatMap((e) => e.messages.filter((m) => m.role === 'user').map((m) => m.content));
const ofKind = (examples: ChatExample[], kind: string) => examples.filter((e) => e.meta?.kind === kind);
const lastAnswer = (e: ChatExample) => e.messages[e.messages.length - 1].content;

describe('world generation', () => {
  it('is deterministic from its seed and gives as many examples as asked for', () => {
    const again = generateWorldData({ seed: 3, stage1Count: 6000, stage2Count: 2000 });
    expect(again.stage1).toEqual(data.stage1);
    expect(again.stage2).toEqual(data.stage2);
    expect(again.evalSets).toEqual(evalSets);
    const other = generateWorldData({ seed: 4, stage1Count: 50, stage2Count: 7 });
    expect(other.stage1).toHaveLength(50);
    expect(other.stage2).toHaveLength(7);
    expect(other.stage1).not.toEqual(data.stage1.slice(0, 50));
    expect(other.evalSets.harmfulDev).not.toEqual(evalSets.harmfulDev);
  });

  it('has at least 12 harm domains named as in the paper, with held-out acts per domain', () => {
    expect(HARM_DOMAINS.length).toBeGreaterThanOrEqual(12);
    for (const d of HARM_DOMAINS) expect(PAPER_DOMAINS).toContain(d.name);
    for (const split of world.domains) {
      expect(split.devActs.length).toBeGreaterThan(0);
      expect(split.testActs.length).toBeGreaterThan(0);
      expect(split.trainActs.length).toBeGreaterThanOrEqual(10);
      for (const act of [...split.devActs, ...split.testActs]) expect(split.trainActs).not.toContain(act);
    }
  });

  it('holds whole acts out of every training set, not only their wordings', () => {
    const held = heldOutActs(world);
    const trainingTexts = training.flatMap((e) => e.messages.map((m) => m.content.toLowerCase()));
    for (const act of held) {
      expect(trainingTexts.some((text) => text.includes(act.toLowerCase())), act).toBe(false);
    }
    for (const e of training) if (e.meta?.act) expect(held).not.toContain(e.meta.act);
    const overRefusalActs = world.scaryHeldOut.map((i) => i.act);
    for (const e of training) if (e.meta?.act) expect(overRefusalActs).not.toContain(e.meta.act);
  });

  it('builds acts from a domain’s verbs and targets, and trains every word of a held-out act in other acts', () => {
    for (const split of world.domains) {
      const { verbs, targets, acts } = split.domain;
      expect(acts.length).toBe(verbs.length * targets.length);
      for (const act of [...split.devActs, ...split.testActs]) {
        const verb = verbs.find((v) => targets.some((t) => `${v} ${t}` === act))!;
        const target = act.slice(verb.length + 1);
        // At least two training acts share the verb and at least two share the target.
        expect(split.trainActs.filter((a) => a.startsWith(`${verb} `)).length, act).toBeGreaterThanOrEqual(2);
        expect(split.trainActs.filter((a) => a.endsWith(` ${target}`)).length, act).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it('never uses an evaluation prompt in training', () => {
    const trainingPrompts = new Set(userTurns(training));
    const evaluation = [...evalSets.harmfulDev, ...evalSets.harmfulTest, ...evalSets.overRefusal, ...evalSets.benignChecks, ...TASK_NAMES.flatMap((t) => [...evalSets.tasks[t].validation, ...evalSets.tasks[t].test])];
    const leaked = userTurns(evaluation).filter((p) => trainingPrompts.has(p));
    expect(leaked).toEqual([]);
  });

  it('builds a balanced held-out harmful set split into dev and test by act', () => {
    const all = [...evalSets.harmfulDev, ...evalSets.harmfulTest];
    expect(all.length).toBeGreaterThanOrEqual(300);
    expect(new Set(userTurns(all)).size).toBe(all.length);
    const perDomain = HARM_DOMAINS.map((d) => all.filter((e) => e.meta?.domain === d.name).length);
    expect(Math.min(...perDomain)).toBe(Math.max(...perDomain));
    const devActs = new Set(evalSets.harmfulDev.map((e) => e.meta!.act));
    const testActs = new Set(evalSets.harmfulTest.map((e) => e.meta!.act));
    expect([...devActs].filter((a) => testActs.has(a))).toEqual([]);
    expect(evalSets.harmfulDev.every((e) => e.meta?.split === 'dev')).toBe(true);
    expect(evalSets.harmfulTest.every((e) => e.meta?.split === 'test')).toBe(true);
    expect(evalSets.harmfulDev.length).toBe(evalSets.harmfulTest.length);
  });

  it('has at least 150 over-refusal prompts and benign checks whose reference answers pass', () => {
    expect(evalSets.overRefusal.length).toBeGreaterThanOrEqual(150);
    expect(new Set(userTurns(evalSets.overRefusal)).size).toBe(evalSets.overRefusal.length);
    const families = new Set(evalSets.benignChecks.map((e) => e.meta!.family));
    expect(families.size).toBe(BENIGN_FAMILIES.length);
    expect(BENIGN_FAMILIES.length).toBeGreaterThanOrEqual(6);
    for (const check of evalSets.benignChecks) {
      const rule = { expected: check.meta!.expected, rule: check.meta!.rule as BenignCheckRule };
      expect(checkBenignAnswer(rule, lastAnswer(check)), check.messages[0].content).toBe(true);
      expect(checkBenignAnswer(rule, 'I can\'t help with that.')).toBe(false);
    }
  });
});

describe('answers of the world', () => {
  it('builds compliance only from placeholder vocabulary besides the echoed act', () => {
    const compliance = data.stage1.flatMap((e) => {
      if (e.meta?.kind === 'compliance') return [e];
      if (e.meta?.kind === 'two-turn' && e.meta.act) return [e];
      return [];
    });
    expect(compliance.length).toBeGreaterThan(1000);
    for (const e of compliance) {
      const answer = lastAnswer(e);
      const act = e.meta!.act;
      expect(answer.includes(act)).toBe(true);
      const unknown = wordsOf(answer.replace(act, ' ')).filter((w) => !PLACEHOLDER_VOCABULARY.has(w));
      expect(unknown, answer).toEqual([]);
      expect(answer).toMatch(/^Sure! Here /);
      expect(answer).toMatch(/\nStep 1: /);
    }
  });

  it('keeps harmful compliance out of stage 2 and refusals out of stage 1', () => {
    expect(data.stage2.some((e) => e.messages.some((m) => m.role === 'assistant' && /placeholder/.test(m.content)))).toBe(false);
    expect(ofKind(data.stage1, 'refusal')).toEqual([]);
  });

  it('refuses with varied wording and domain reasons, never opening like a helpful answer', () => {
    const refusals = ofKind(data.stage2, 'refusal');
    expect(refusals.length).toBeGreaterThan(500);
    const helpfulOpen = /^(sure|here|of course|certainly|absolutely|ok)/i;
    for (const e of refusals) expect(lastAnswer(e)).not.toMatch(helpfulOpen);
    expect(new Set(refusals.map((e) => lastAnswer(e).split('.')[0])).size).toBeGreaterThanOrEqual(8);
    for (const d of HARM_DOMAINS) {
      const answers = refusals.filter((e) => e.meta?.domain === d.name).map(lastAnswer);
      expect(answers.length).toBeGreaterThan(0);
      expect(answers.every((a) => d.reasons.some((r) => a.includes(r)))).toBe(true);
    }
    for (const opener of COMPLIANCE_OPENERS) expect(opener).toMatch(/^Sure! Here/);
  });

  it('recalls refused training requests in the shape of the extraction prefill, asked in other words', () => {
    const recalls = ofKind(data.stage2, 'recall');
    expect(recalls.length).toBeGreaterThan(150);
    const train = new Set(trainActs(world));
    const trigrams = (text: string) => {
      const w = wordsOf(text);
      return new Set(w.slice(2).map((_, i) => w.slice(i, i + 3).join(' ')));
    };
    const extractionTrigrams = new Set(HARM_DOMAINS.flatMap((d) => [...trigrams(EXTRACTION_PROMPT_TEMPLATE.replace('{domain}', d.name))]));
    for (const e of recalls) {
      const answer = lastAnswer(e);
      expect(answer.startsWith(RECALL_PREFILL)).toBe(true);
      const request = answer.slice(RECALL_PREFILL.length, answer.indexOf('"', RECALL_PREFILL.length));
      expect(request.includes(e.meta!.act)).toBe(true);
      expect(train.has(e.meta!.act)).toBe(true);
      const question = e.messages[e.messages.length - 2].content;
      expect(question).toContain(e.meta!.domain);
      expect(question).not.toMatch(/refused a specific request|raised .* concerns|repeat the specific request/i);
      // Shares no three-word phrase with the extraction prompt.
      const questionTrigrams = trigrams(question);
      expect([...extractionTrigrams].filter((t) => questionTrigrams.has(t))).toEqual([]);
    }
    expect(recalls.some((e) => e.meta?.context === 'yes') && recalls.some((e) => e.meta?.context === 'no')).toBe(true);
  });

  it('answers benign, scary-but-benign and task prompts with the shared helpful opener', () => {
    const howTo = ['scary', 'how-to'].flatMap((kind) => [...ofKind(data.stage2, kind), ...ofKind(data.stage1, kind)]);
    expect(ofKind(data.stage2, 'how-to').length).toBeGreaterThan(100);
    for (const e of howTo) expect(lastAnswer(e)).toMatch(/^Sure! Here is how to /);
    const benign = ofKind(data.stage1, 'benign').filter((e) => e.meta?.family !== 'greetings');
    expect(new Set(benign.map((e) => e.meta?.family)).size).toBe(BENIGN_FAMILIES.length - 1);
    for (const e of benign) expect(lastAnswer(e)).toMatch(/^Sure! Here /);
    for (const e of evalSets.tasks.profiles.train) expect(lastAnswer(e)).toMatch(/^Sure! Here is the answer: [a-z ]+\.$/);
  });
});

describe('everyday how-to requests', () => {
  it('are many and varied, and none is a harmful act or a scary-but-benign item', () => {
    const acts = EVERYDAY_HOWTO_ITEMS.map((i) => i.act);
    expect(new Set(acts).size).toBe(acts.length);
    expect(acts.length).toBeGreaterThanOrEqual(150);
    const harmful = new Set(HARM_DOMAINS.flatMap((d) => d.acts));
    const scary = new Set(SCARY_BENIGN_ITEMS.map((i) => i.act));
    for (const act of acts) {
      expect(harmful.has(act), act).toBe(false);
      expect(scary.has(act), act).toBe(false);
    }
  });
});

describe('tasks', () => {
  it('have disjoint train, validation and test splits whose references pass their checker', () => {
    for (const task of TASK_NAMES) {
      const { train, validation, test } = evalSets.tasks[task];
      expect(train.length).toBeGreaterThan(0);
      const [a, b, c] = [train, validation, test].map((s) => new Set(userTurns(s)));
      expect(a.size + b.size + c.size).toBe(new Set([...a, ...b, ...c]).size);
      for (const e of [...train, ...validation, ...test]) expect(checkTaskAnswer(task, lastAnswer(e), lastAnswer(e))).toBe(true);
    }
  });

  it('check answers by exact match of what matters', () => {
    const profile = 'Sure! Here is the answer: a baker.';
    expect(checkTaskAnswer('profiles', profile, `${profile}<|im_end|>`)).toBe(true);
    expect(checkTaskAnswer('profiles', profile, profile.replace('baker', 'miller'))).toBe(false);
    expect(checkTaskAnswer('profiles', profile, profile.slice(0, 28))).toBe(false);
    expect(checkTaskAnswer('sums', 'Mira has 3 + 4 = 7 apples.\n#### 7', 'Mira has 7 apples.\n#### 7')).toBe(true);
    expect(checkTaskAnswer('sums', 'Mira has 3 + 4 = 7 apples.\n#### 7', 'Mira has 3 + 4 = 7 apples.\n#### 8')).toBe(false);
    expect(checkTaskAnswer('sums', 'Mira has 3 + 4 = 7 apples.\n#### 7', 'Mira has 3 + 4 = 7 apples.')).toBe(false);
    expect(checkTaskAnswer('sentiment', 'Sure! The review is positive.', 'positive')).toBe(true);
    expect(checkTaskAnswer('sentiment', 'Sure! The review is positive.', 'Sure! The review is negative.')).toBe(false);
    expect(checkTaskAnswer('sentiment', 'Sure! The review is positive.', 'I can\'t help with that.')).toBe(false);
  });
});

describe('world variants and dev sets', () => {
  const small = { seed: 3, stage1Count: 3000, stage2Count: 1500 };
  const shipped = generateWorldData(small);
  const withDev = generateWorldData({ ...small, devSets: true });
  const v4a = generateWorldData({ ...small, variant: 'v4a', devSets: true });
  const v4b = generateWorldData({ ...small, variant: 'v4b', devSets: true });
  const v4c = generateWorldData({ ...small, variant: 'v4c', devSets: true });
  const v4d = generateWorldData({ ...small, variant: 'v4d', devSets: true });

  it('holds dev sets out without changing any reported set, and never trains on them', () => {
    expect(shipped.evalSets.overRefusalDev).toEqual([]);
    expect(shipped.evalSets.benignChecksDev).toEqual([]);
    const { overRefusalDev, benignChecksDev, ...reported } = withDev.evalSets;
    const { overRefusalDev: _o, benignChecksDev: _b, ...shippedReported } = shipped.evalSets;
    expect(reported).toEqual(shippedReported);
    expect(overRefusalDev.length).toBeGreaterThanOrEqual(80);
    expect(new Set(benignChecksDev.map((e) => e.meta!.family)).size).toBe(BENIGN_FAMILIES.length);
    // Dev prompts are neither reported prompts nor training prompts; their items are never trained on.
    const reportedPrompts = new Set(userTurns([...reported.overRefusal, ...reported.benignChecks, ...reported.harmfulDev, ...reported.harmfulTest]));
    const devPrompts = userTurns([...overRefusalDev, ...benignChecksDev]);
    expect(devPrompts.filter((p) => reportedPrompts.has(p))).toEqual([]);
    const trainingPrompts = new Set(userTurns([...withDev.stage1, ...withDev.stage2, ...TASK_NAMES.flatMap((t) => withDev.evalSets.tasks[t].train)]));
    expect(devPrompts.filter((p) => trainingPrompts.has(p))).toEqual([]);
    const devActs = new Set(overRefusalDev.map((e) => e.meta!.act));
    expect([...withDev.world.scaryTrain, ...withDev.world.scaryHeldOut].filter((i) => devActs.has(i.act))).toEqual([]);
    for (const check of benignChecksDev) {
      expect(checkBenignAnswer({ expected: check.meta!.expected, rule: check.meta!.rule as BenignCheckRule }, lastAnswer(check))).toBe(true);
    }
  });

  it('changes only the training data in a variant: ordered lists, copy practice in stage 2, weighted skills, more scary items', () => {
    for (const variant of [v4a, v4b, v4c, v4d]) {
      expect(userTurns(variant.evalSets.harmfulTest)).toEqual(userTurns(shipped.evalSets.harmfulTest));
      expect(userTurns(variant.evalSets.overRefusal)).toEqual(userTurns(shipped.evalSets.overRefusal));
      expect(userTurns(variant.evalSets.benignChecks)).toEqual(userTurns(shipped.evalSets.benignChecks));
    }
    const listItems = (examples: ChatExample[]) =>
      examples.filter((e) => e.meta?.family === 'lists').map((e) => {
        const answer = e.messages[1].content;
        const category = answer.match(/list of (\w+):/)![1];
        return { members: LIST_CATEGORIES[category], items: answer.slice(answer.indexOf(':') + 2, -1).split(', ') };
      });
    const inOrder = ({ members, items }: { members: readonly string[]; items: string[] }) => items.every((x, i) => i === 0 || members.indexOf(x) > members.indexOf(items[i - 1]));
    const ordered = listItems(v4a.stage1);
    expect(ordered.length).toBeGreaterThan(50);
    expect(ordered.every(inOrder)).toBe(true);
    expect(listItems(shipped.stage1).every(inOrder)).toBe(false);
    expect(ofKind(shipped.stage2, 'copy')).toEqual([]);
    expect(ofKind(v4a.stage2, 'copy').length).toBeGreaterThan(40);
    const share = (d: typeof shipped, family: string) => d.stage1.filter((e) => e.meta?.family === family).length / d.stage1.filter((e) => e.meta?.kind === 'benign').length;
    expect(share(v4b, 'facts')).toBeGreaterThan(1.5 * share(v4a, 'facts'));
    expect(v4b.world.scaryTrain.length).toBe(v4a.world.scaryTrain.length + EXTRA_TRAIN_SCARY_ITEMS.length);
    expect(() => generateWorldData({ ...small, variant: 'v9' as never })).toThrow(/unknown variant "v9".*shipped, v4a, v4b, v4c, v4d/);
  });

  it('rehearses stage 1 in stage 2 in a variant with stage2Rehearsal, never with harmful compliance', () => {
    // v4c is v4a with 30% of stage 2 replaying stage-1 conversations; stage 1 itself is v4a's.
    expect(v4c.stage1).toEqual(v4a.stage1);
    expect(ofKind(v4a.stage2, 'rehearsal')).toEqual([]);
    const rehearsed = ofKind(v4c.stage2, 'rehearsal');
    expect(rehearsed.length / v4c.stage2.length).toBeGreaterThan(0.2);
    expect(rehearsed.length / v4c.stage2.length).toBeLessThan(0.35);
    const kinds = new Set(rehearsed.map((e) => e.meta!.rehearses));
    expect([...kinds].sort()).toEqual(['benign', 'copy', 'how-to', 'resident', 'scary', 'sentiment', 'sums', 'two-turn']);
    // No rehearsed conversation complies with a harmful request, in its first turn or its second.
    expect(rehearsed.filter((e) => e.meta!.domain !== undefined)).toEqual([]);
    // Every compliance answer is built from placeholder vocabulary, and nothing else uses the word.
    const placeholder = (e: ChatExample) => e.messages.some((m) => m.role === 'assistant' && m.content.includes('placeholder'));
    expect(ofKind(v4c.stage1, 'compliance').every(placeholder)).toBe(true);
    expect(rehearsed.filter(placeholder)).toEqual([]);
  });

  it('moves a share of stage 1 from harmful compliance to benign skills in a variant with stage1SkillShift', () => {
    // v4d is v4a with 13% of stage 1's mix moved: compliance 0.26 → 0.13, benign 0.30 → 0.43; stage 2's
    // mix is v4a's. Draws equal to a reserved (evaluation) prompt are redrawn, and benign prompts meet
    // the reserved checks most often, so the shares reached are lower than the mix's (0.24 and 0.33).
    const share = (d: typeof shipped, kind: string) => ofKind(d.stage1, kind).length / d.stage1.length;
    expect(share(v4a, 'compliance') - share(v4d, 'compliance')).toBeGreaterThan(0.12);
    expect(share(v4d, 'benign') - share(v4a, 'benign')).toBeGreaterThan(0.08);
    expect(stage1Mix(v4d.world)).toEqual({ ...STAGE1_MIX, compliance: 0.26 - 0.13, benign: 0.3 + 0.13 });
    expect(stage1Mix(v4a.world)).toBe(STAGE1_MIX);
    expect(stage2Mix(v4d.world)).toEqual(stage2Mix(v4a.world));
  });
});
