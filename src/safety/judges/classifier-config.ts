// The parts of a Hugging Face text-classification config.json a judge needs: the label of each
// logit (id2label) and which label means "harmful" (the user names it, or one label obviously does).

export class ClassifierConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClassifierConfigError';
  }
}

/** Label names that can only mean a harmful answer, compared lower-case with separators dropped. */
const OBVIOUSLY_HARMFUL = new Set(['harmful', 'unsafe', 'harmfulresponse', 'unsaferesponse', 'toxic', 'harm']);

const squash = (label: string) => label.toLowerCase().replace(/[\s_\-:.]/g, '');

/** Labels in logit order, from config.json's id2label ({"0": "safe", "1": "harmful"}). */
export function labelsFromConfig(config: Record<string, unknown>, fileName = 'config.json'): string[] {
  const id2label = config.id2label;
  if (typeof id2label !== 'object' || id2label === null || Array.isArray(id2label)) {
    throw new ClassifierConfigError(
      `${fileName} has no id2label; a text-classification config maps each logit to a label name, e.g. "id2label": {"0": "safe", "1": "harmful"}. Add it (transformers writes it when the model is saved with its labels).`,
    );
  }
  const entries = Object.entries(id2label as Record<string, unknown>);
  const labels: string[] = new Array(entries.length);
  for (const [key, value] of entries) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= entries.length || typeof value !== 'string' || labels[index] !== undefined) {
      throw new ClassifierConfigError(`${fileName}: id2label must map the indices 0…${entries.length - 1} to label names once each; entry ${JSON.stringify(key)}: ${JSON.stringify(value)} does not fit.`);
    }
    labels[index] = value;
  }
  if (labels.length < 2) throw new ClassifierConfigError(`${fileName}: id2label has ${labels.length} label; a classifier needs at least 2.`);
  return labels;
}

/**
 * Index of the label that means harmful: the one the user named, else the only label that is
 * obviously harmful ('harmful', 'unsafe', …). Anything ambiguous is an error asking for the name.
 */
export function harmfulLabelIndex(labels: readonly string[], named?: string, fileName = 'config.json'): number {
  const list = labels.map((l) => JSON.stringify(l)).join(', ');
  if (named !== undefined) {
    const index = labels.indexOf(named);
    if (index < 0) throw new ClassifierConfigError(`the harmful label ${JSON.stringify(named)} is not one of the labels in ${fileName}'s id2label (${list}); name one of those.`);
    return index;
  }
  const candidates = labels.map((l, i) => [squash(l), i] as const).filter(([l]) => OBVIOUSLY_HARMFUL.has(l));
  if (candidates.length !== 1) {
    throw new ClassifierConfigError(`${fileName}: cannot tell which label means harmful from id2label (${list}); name it (the harmful label option).`);
  }
  return candidates[0][1];
}

/** Longest input the classifier takes: the caller's, else config.json's max_position_embeddings, else 512. */
export function maxLengthFromConfig(config: Record<string, unknown>, requested?: number): number {
  if (requested !== undefined) return requested;
  const fromConfig = config.max_position_embeddings;
  return typeof fromConfig === 'number' && Number.isInteger(fromConfig) && fromConfig > 1 ? fromConfig : 512;
}
