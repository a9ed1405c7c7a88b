import type { ReportModel } from './build.js';
import type { Chart } from './charts.js';
import type { Claim } from './claims.js';
import { protocolTableList, reportNotes, trialCounts, type Table, type TaskTables } from './tables.js';

/** Markdown cells may not hold a pipe or a newline. */
export function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A GitHub-flavoured Markdown table; spanning size labels go into the header cells. */
export function tableMd(t: Table, level = 3): string {
  const header = t.groups ? spread(t) : t.header;
  const cell = (x: { text: string; bold?: boolean }) => (x.bold ? `**${mdEscape(x.text)}**` : mdEscape(x.text));
  const lines = [
    `${'#'.repeat(level)} ${mdEscape(t.title)}`,
    '',
    `| ${header.map(mdEscape).join(' | ')} |`,
    `| ${t.align.map((a) => (a === 'r' ? '---:' : '---')).join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
    '',
    ...t.notes.flatMap((n) => [n, '']),
  ];
  return lines.join('\n');
}

/** Markdown has one header row: `tiny (20.5K params) test accuracy (%)`, then the rest of the group. */
function spread(t: Table): string[] {
  const out: string[] = [];
  let i = 0;
  for (const g of t.groups!) {
    for (let k = 0; k < g.span; k++, i++) out.push(g.label && k === 0 ? `${g.label}: ${t.header[i]}` : t.header[i]!);
  }
  return out;
}

/** The whole summary.md: per task the main table, its ablations and failures; then the claims. */
export function summaryMd(
  model: ReportModel,
  tables: TaskTables[],
  claims: Claim[],
  sources: string[],
  charts: Map<string, Chart[]>,
): string {
  const parts = [
    '# Sweep report',
    '',
    `${model.trials.length} trials (${trialCounts(model)}) on ${model.tasks.length} task(s), from ${sources.length} results file(s): ${sources.join(', ')}.`,
    '',
  ];
  for (const t of tables) {
    parts.push(`## ${mdEscape(t.task.task)} (${t.task.kind})`, '', tableMd(t.main));
    for (const c of charts.get(t.task.task) ?? []) parts.push(`![${mdEscape(c.title)}](${c.file})`, '');
    if (t.frontier.length)
      parts.push('Pareto frontier (setting chosen on dev, per size):', '', ...t.frontier.map((l) => `- ${mdEscape(l)}`), '');
    for (const a of t.ablations) parts.push(tableMd(a, 4));
    for (const p of protocolTableList(t)) parts.push(tableMd(p));
    for (const line of t.protocol.skipped) parts.push(mdEscape(line), '');
    if (t.failures) parts.push(tableMd(t.failures));
  }
  parts.push('## Claims of the seed article', '');
  claims.forEach((c, i) => {
    parts.push(
      `${i + 1}. **${c.verdict}**${c.needs ? ` (needs ${mdEscape(c.needs)})` : ''}: ${mdEscape(c.title)}. _${mdEscape(c.source)}_`,
    );
    parts.push(`   - protocol: ${mdEscape(c.protocol)}`);
    for (const e of c.evidence) parts.push(`   - ${mdEscape(e)}`);
  });
  parts.push('', '## How to read this report', '', ...reportNotes().flatMap((n) => [`- ${n}`]), '');
  return parts.join('\n');
}
