// The funnel of a replay run: how many rows each GR-SAP step was given, kept and dropped (and why),
// overall and per harm domain, so a user sees where the replay set's pairs went. Every count of the
// judged steps is the named judge's. The funnel is computed from the rows as they finish, so a
// cancelled run reports the part it finished.

import type { BenignFunnel } from '../safety/benign-replay';
import { countExtraction, type ExtractedRow, type ExtractionCounts } from '../safety/extraction';
import type { FilterReport } from '../safety/filters/filter';
import type { HardRatioSelection, SplitCounts, ShortagePolicy } from '../safety/hard-ratio';
import type { ReplayKind } from '../safety/replay-pair';

/** The domain of a Magpie request in the funnel and the saved pairs: it was asked about no domain. */
export const NO_DOMAIN = 'none';

export interface DomainFunnel {
  sampled: number; // extraction draws
  extracted: number; // requests read out of them
  filtered: number; // requests left after every filter
  easy: number; // safe first answers
  hard: number; // unsafe first answers
  unlabelled: number; // first answers the judge could not label (never trained on)
  fixed: number; // hard requests whose revised answer is safe
  selected: number; // pairs in the replay set
}

export interface ReplaySelectionReport {
  wantedPairs: number; // pairs asked for: every usable pair unless a count was given
  hardRatio: number;
  shortage: ShortagePolicy;
  counts: SplitCounts; // [hard, easy]: wanted, available, taken
  achievedHardRatio: number | null;
  note: string | null; // what the shortage policy did, in a sentence
}

/** Benign replay's counts (safety/benign-replay.ts), with the judges behind them. */
export interface BenignReplayFunnel extends BenignFunnel {
  judge: string; // the harm judge: a pair it calls harmful (or cannot label) is dropped
  refusalCheck: string; // the refusal judge: a pair it finds refused (or cannot label) is dropped
}

export interface ReplayFunnel {
  judge: string; // the judge behind every easy / hard / fixed count
  extraction: ExtractionCounts; // sampled, kept, dropped by reason; per strategy (the yield) and per domain
  filters: FilterReport[]; // in the order they ran, each given the rows the one before kept
  responded: number; // requests answered by the model (the last filter's kept rows, when complete)
  firstAnswers: { easy: number; hard: number; unlabelled: number }; // the judge on the first answers
  revise: { hard: number; fixed: number; stillUnsafe: number; unlabelled: number } | null; // null: revise was off (hard requests are not trained on)
  usable: { hard: number; easy: number }; // pairs that may be trained on: fixed hard requests, easy ones
  selection: ReplaySelectionReport | null; // null until the selection ran (a cancelled run has none)
  selected: { hard: number; easy: number; total: number }; // the safety selection; benign pairs come after it (benign.kept)
  benign: BenignReplayFunnel | null; // null: benign replay was off; counts of the batches finished
  byDomain: Record<string, DomainFunnel>; // NO_DOMAIN for Magpie requests
  complete: boolean; // false when cancelled: the counts cover the rows finished before
  stoppedIn: string | null; // the phase a cancel stopped
}

function domainFunnel(): DomainFunnel {
  return { sampled: 0, extracted: 0, filtered: 0, easy: 0, hard: 0, unlabelled: 0, fixed: 0, selected: 0 };
}

/** The counts of a run as its rows come in; `funnel()` reads them out at any point. */
export class FunnelCounter {
  private extracted: ExtractedRow[] = [];
  private readonly filters: FilterReport[] = [];
  private readonly byDomain: Record<string, DomainFunnel> = {};
  private responded = 0;
  private readonly first = { easy: 0, hard: 0, unlabelled: 0 };
  private readonly revised = { hard: 0, fixed: 0, stillUnsafe: 0, unlabelled: 0 };
  private selection: ReplaySelectionReport | null = null;
  private readonly selected = { hard: 0, easy: 0, total: 0 };
  private benign: BenignReplayFunnel | null;

  constructor(
    private readonly judge: string,
    private readonly reviseOn: boolean,
    benign: { refusalCheck: string; judge?: string } | null = null, // null: benign replay off; judge: its harm judge when not the safety pairs'
  ) {
    this.benign = benign && { sampled: 0, unfinished: 0, empty: 0, duplicate: 0, answered: 0, harmful: 0, harmUnlabelled: 0, refused: 0, refusalUnlabelled: 0, kept: 0, judge: benign.judge ?? judge, refusalCheck: benign.refusalCheck };
  }

  private domain(name: string | null): DomainFunnel {
    return (this.byDomain[name ?? NO_DOMAIN] ??= domainFunnel());
  }

  addExtracted(rows: readonly ExtractedRow[]): void {
    this.extracted.push(...rows);
    for (const row of rows) {
      const d = this.domain(row.domain);
      d.sampled++;
      if (row.request !== null) d.extracted++;
    }
  }

  addFilter(report: FilterReport): void {
    this.filters.push(report);
  }

  setFiltered(domains: readonly (string | null)[]): void {
    for (const d of domains) this.domain(d).filtered++;
  }

  addResponded(n: number): void {
    this.responded += n;
  }

  addFirstAnswer(domain: string, label: 'easy' | 'hard' | 'unlabelled'): void {
    this.first[label]++;
    this.domain(domain)[label]++;
  }

  addRevised(domain: string, outcome: 'fixed' | 'still-unsafe' | 'unlabelled'): void {
    this.revised.hard++;
    if (outcome === 'fixed') {
      this.revised.fixed++;
      this.domain(domain).fixed++;
    } else if (outcome === 'still-unsafe') this.revised.stillUnsafe++;
    else this.revised.unlabelled++;
  }

  setSelection(selection: HardRatioSelection, wantedPairs: number): void {
    const { hardRatio, shortage, counts, achievedHardRatio, note } = selection;
    this.selection = { wantedPairs, hardRatio, shortage, counts, achievedHardRatio, note };
    for (const pair of selection.pairs) this.addSelected(pair.kind, pair.source.domain);
  }

  /** Benign replay's funnel after a finished batch (it counts itself; this keeps the latest). */
  setBenign(counts: BenignFunnel): void {
    if (!this.benign) throw new Error('replay funnel: benign counts for a run with benign replay off.');
    this.benign = { ...this.benign, ...counts };
  }

  private addSelected(kind: ReplayKind, domain: string): void {
    if (kind === 'hard') this.selected.hard++;
    else this.selected.easy++;
    this.selected.total++;
    this.domain(domain).selected++;
  }

  funnel(complete: boolean, stoppedIn: string | null): ReplayFunnel {
    return {
      judge: this.judge,
      extraction: countExtraction(this.extracted),
      filters: this.filters.map((f) => structuredClone(f)),
      responded: this.responded,
      firstAnswers: { ...this.first },
      revise: this.reviseOn ? { ...this.revised } : null,
      usable: { hard: this.revised.fixed, easy: this.first.easy },
      selection: this.selection ? structuredClone(this.selection) : null,
      selected: { ...this.selected },
      benign: this.benign && { ...this.benign },
      byDomain: structuredClone(this.byDomain),
      complete,
      stoppedIn,
    };
  }
}

const pct = (part: number, whole: number) => (whole ? `${((100 * part) / whole).toFixed(1)}%` : 'n/a');
const reasons = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${v} ${k}`).join(', ') || 'none';

function describeBenign(b: BenignReplayFunnel): string[] {
  return [
    `benign replay: ${b.kept} pairs kept of ${b.sampled} requests the model wrote (${pct(b.kept, b.sampled)}); harm judge ${b.judge}, refusal check ${b.refusalCheck}`,
    `  before answering: ${b.unfinished} unfinished, ${b.empty} empty, ${b.duplicate} duplicate dropped; ${b.answered} answered`,
    `  answers dropped: ${b.harmful} harmful, ${b.refused} refused, ${b.harmUnlabelled + b.refusalUnlabelled} unlabelled (${b.harmUnlabelled} by the harm judge, ${b.refusalUnlabelled} by the refusal check)`,
  ];
}

/** Readable lines of a funnel: the yield per strategy, each filter, the judge's split, revise, the selection, benign replay, then per domain. */
export function describeFunnel(f: ReplayFunnel): string[] {
  const x = f.extraction;
  const lines = [`extraction: ${x.total.kept} requests of ${x.total.sampled} sampled (yield ${pct(x.total.kept, x.total.sampled)}); dropped: ${reasons(x.total.dropped as Record<string, number>)}`];
  for (const [strategy, t] of Object.entries(x.byStrategy)) lines.push(`  ${strategy}: yield ${pct(t!.kept, t!.sampled)} (${t!.kept} of ${t!.sampled})`);
  for (const r of f.filters) lines.push(`filter ${r.name}: kept ${r.kept} of ${r.total}; dropped: ${reasons(r.reasons)}`);
  const a = f.firstAnswers;
  lines.push(`first answers by ${f.judge}: ${f.responded} answered; ${a.easy} easy (safe), ${a.hard} hard (unsafe), ${a.unlabelled} unlabelled (not used)`);
  if (f.revise) lines.push(`revise: ${f.revise.hard} hard requests asked again; ${f.revise.fixed} fixed, ${f.revise.stillUnsafe} still unsafe, ${f.revise.unlabelled} unlabelled`);
  else lines.push('revise: off; hard requests are not trained on');
  if (f.selection) {
    const s = f.selection;
    lines.push(
      `selection at hard ratio ${s.hardRatio}: ${f.selected.total} pairs (${f.selected.hard} hard + ${f.selected.easy} easy) of ${f.usable.hard + f.usable.easy} usable` +
        (s.achievedHardRatio === null ? '' : `; hard share ${s.achievedHardRatio.toFixed(2)}`),
    );
    if (s.note) lines.push(`  ${s.note}`);
  } else lines.push(`selection: not reached; ${f.usable.hard + f.usable.easy} usable pairs finished (${f.usable.hard} hard + ${f.usable.easy} easy)`);
  if (f.benign) lines.push(...describeBenign(f.benign));
  lines.push('per domain: sampled → extracted → filtered → easy / hard (fixed) / unlabelled → selected');
  for (const [domain, d] of Object.entries(f.byDomain)) {
    lines.push(`  ${domain}: ${d.sampled} → ${d.extracted} → ${d.filtered} → ${d.easy} / ${d.hard} (${d.fixed}) / ${d.unlabelled} → ${d.selected}`);
  }
  if (!f.complete) lines.push(`stopped during ${f.stoppedIn ?? 'the run'}: the counts cover the rows finished before.`);
  return lines;
}
