// Bar charts as plain HTML: every bar has its number beside it and the table reads well to a
// screen reader, so a chart never hides a figure.

export interface Bar {
  label: string; // the arm
  value: number | null; // %, null: not measured
  detail?: string; // e.g. '± 2.1' or 'unlabelled 3'
}

export interface BarGroup {
  metric: string; // 'harmful ratio'
  note: string; // what it measures, and whether lower or higher is better
  bars: Bar[];
}

export function BarChart({ groups, testId }: { groups: BarGroup[]; testId?: string }) {
  return (
    <div class="bar-groups" data-testid={testId}>
      {groups.map((g) => (
        <figure class="bar-group" key={g.metric}>
          <figcaption>
            <strong>{g.metric}</strong> <span class="hint">{g.note}</span>
          </figcaption>
          <table class="bars">
            <tbody>
              {g.bars.map((b) => (
                <tr key={b.label}>
                  <th scope="row">{b.label}</th>
                  <td class="bar-cell">
                    <div class="bar" style={{ width: `${Math.max(0, Math.min(100, b.value ?? 0))}%` }} />
                  </td>
                  <td class="bar-value" data-metric={g.metric} data-arm={b.label}>
                    {b.value === null ? 'n/a' : `${b.value.toFixed(1)} %`}
                    {b.detail ? <span class="hint"> {b.detail}</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </figure>
      ))}
    </div>
  );
}
