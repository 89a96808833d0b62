// What every replay filter (GR-SAP step 2) returns: the rows it kept, one decision per input row
// (kept or why not, and the filter's measure of the row, which stays with the row as provenance),
// and a report of how many it dropped and why, overall and per domain. Filters are deterministic:
// the same rows (and, for model-scored filters, the same model) give the same decisions.

/** A request that survived extraction. Extraction rows fit (see keptRows in extraction.ts). */
export interface FilterableRow {
  request: string;
  domain: string | null; // null for Magpie requests, asked about no domain
}

export interface FilterDecision {
  keep: boolean;
  reason: string | null; // why dropped, e.g. 'perplexity-above-band'; null when kept
  score: number | null; // the filter's measure of the row (perplexity, best similarity, relevance rank); null when none
  detail?: string; // e.g. 'like row 3'
}

export interface FilterReport {
  name: string; // 'perplexity-band', 'near-duplicates', 'domain-relevance'
  total: number; // rows given
  kept: number;
  dropped: number;
  reasons: Record<string, number>; // dropped rows by reason
  byDomain: Record<string, { kept: number; dropped: number }>; // the funnel per domain (rows with one)
  parameters: Record<string, number | string | null>; // what it ran with, e.g. the band's edges in perplexity
}

export interface FilterResult<R> {
  kept: R[]; // in input order
  decisions: FilterDecision[]; // one per input row, in input order
  report: FilterReport;
}

export function filterResult<R extends FilterableRow>(name: string, rows: readonly R[], decisions: readonly FilterDecision[], parameters: FilterReport['parameters']): FilterResult<R> {
  if (decisions.length !== rows.length) throw new Error(`${name}: ${decisions.length} decisions for ${rows.length} rows.`);
  const report: FilterReport = { name, total: rows.length, kept: 0, dropped: 0, reasons: {}, byDomain: {}, parameters };
  const kept: R[] = [];
  rows.forEach((row, i) => {
    const d = decisions[i];
    const domain = row.domain === null ? null : (report.byDomain[row.domain] ??= { kept: 0, dropped: 0 });
    if (d.keep) {
      kept.push(row);
      report.kept++;
      if (domain) domain.kept++;
    } else {
      const reason = d.reason ?? 'unspecified';
      report.reasons[reason] = (report.reasons[reason] ?? 0) + 1;
      report.dropped++;
      if (domain) domain.dropped++;
    }
  });
  return { kept, decisions: [...decisions], report };
}
