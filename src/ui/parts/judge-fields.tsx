// Which judge labels answers, as form fields: the world's labeller (the embedded world's model
// only), an ONNX text classifier or a Llama-Guard-style guard model from the Hub, a URL or a folder,
// or refusal keywords only (crude). The Replay step judges its replay with it, the Results step
// the user's own evaluation.

import type { JudgeChoice } from '../../studio/api';
import { allowedOrigins, mayContact } from '../privacy';
import { contactedUrl, emptySource, ModelSourceFields, modelRequestOf, type SourceState } from './model-source-fields';

export type JudgeKind = JudgeChoice['kind'];

export interface JudgeState {
  kind: JudgeKind;
  source: SourceState; // the judge model (onnx, guard)
  harmfulLabel: string; // onnx: the id2label name meaning harmful; '' lets the judge find the one obvious label
}

export const judgeDefault = (world: boolean): JudgeState => ({ kind: world ? 'world' : 'keyword', source: emptySource(), harmfulLabel: '' });

/** The judge the fields describe, or a sentence saying what is missing. */
export function judgeChoiceOf(s: JudgeState): JudgeChoice | string {
  if (s.kind === 'world' || s.kind === 'keyword') return { kind: s.kind };
  const request = modelRequestOf(s.source, s.kind === 'onnx' ? 'an ONNX text-classification export' : 'meta-llama/Llama-Guard-3-1B');
  if (typeof request === 'string') return `The judge model: ${request}`;
  const url = contactedUrl(request);
  if (url && !mayContact(url, location.origin, allowedOrigins())) {
    return `This page may not contact ${new URL(url).origin} yet: allow it in the Model step (Load another model, with the same URL or Hub mirror), or pick the folder on this computer.`;
  }
  return s.kind === 'onnx' ? { kind: 'onnx', model: request, harmfulLabel: s.harmfulLabel.trim() || undefined } : { kind: 'guard', model: request };
}

export function JudgeFields({ value, onChange, world, testId }: { value: JudgeState; onChange: (s: JudgeState) => void; world: boolean; testId: string }) {
  const set = (patch: Partial<JudgeState>) => onChange({ ...value, ...patch });
  return (
    <>
      <label>
        Judge
        <select value={value.kind} data-testid={testId} onChange={(e) => set({ kind: e.currentTarget.value as JudgeKind })}>
          <option value="world" disabled={!world}>
            the world's labeller (embedded model only)
          </option>
          <option value="onnx">an ONNX text classifier</option>
          <option value="guard">a guard model (Llama Guard style)</option>
          <option value="keyword">refusal keywords only (crude: "harmful" means "did not refuse")</option>
        </select>
      </label>
      {value.kind === 'onnx' || value.kind === 'guard' ? (
        <fieldset data-testid={`${testId}-model`}>
          <legend>{value.kind === 'onnx' ? 'The classifier (model.onnx, config.json with id2label, tokenizer.json)' : 'The guard model (run by this engine beside the model)'}</legend>
          <ModelSourceFields value={value.source} onChange={(source) => set({ source })} hubExample={value.kind === 'onnx' ? 'owner/classifier-onnx' : 'meta-llama/Llama-Guard-3-1B'} what="Judge" />
          {value.kind === 'onnx' ? (
            <label>
              Harmful label <input type="text" size={12} placeholder="from id2label" value={value.harmfulLabel} onInput={(e) => set({ harmfulLabel: e.currentTarget.value })} />
            </label>
          ) : null}
        </fieldset>
      ) : null}
    </>
  );
}
