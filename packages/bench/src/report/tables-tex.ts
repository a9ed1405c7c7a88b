import { protocolTableList, reportNotes, type Table, type TaskTables } from './tables.js';

const SPECIAL: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '&': '\\&',
  '%': '\\%',
  $: '\\$',
  '#': '\\#',
  _: '\\_',
  '{': '\\{',
  '}': '\\}',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
};
const SYMBOLS: Record<string, string> = { '±': '$\\pm$', '—': '---', '−': '$-$', '√': '$\\sqrt{}$', '·': '$\\cdot$', '@': '@' };

export function texEscape(s: string): string {
  return s.replace(/[\\&%$#_{}~^]/g, (ch) => SPECIAL[ch]!).replace(/[±—−√·]/g, (ch) => SYMBOLS[ch]!);
}

/** A booktabs table (\toprule, \cmidrule under each size, \midrule, \bottomrule); best in \textbf. */
export function tableTex(t: Table): string {
  const cols = t.align.join('');
  const lines = [
    `% ${t.title}`,
    '\\begin{table}[t]',
    '\\centering',
    '\\small',
    `\\caption{${texEscape(t.title)}}`,
    `\\label{tab:${label(t.id)}}`,
    `\\begin{tabular}{${cols}}`,
    '\\toprule',
  ];
  if (t.groups) {
    let col = 1;
    const spans: string[] = [];
    const rules: string[] = [];
    for (const g of t.groups) {
      spans.push(g.span === 1 ? texEscape(g.label) : `\\multicolumn{${g.span}}{c}{${texEscape(g.label)}}`);
      if (g.label) rules.push(`\\cmidrule(lr){${col}-${col + g.span - 1}}`);
      col += g.span;
    }
    lines.push(`${spans.join(' & ')} \\\\`, rules.join(' '));
  }
  lines.push(`${t.header.map(texEscape).join(' & ')} \\\\`, '\\midrule');
  for (const r of t.rows) lines.push(`${r.map((x) => (x.bold ? `\\textbf{${texEscape(x.text)}}` : texEscape(x.text))).join(' & ')} \\\\`);
  lines.push('\\bottomrule', '\\end{tabular}');
  if (t.notes.length) lines.push(`\\par\\smallskip\\footnotesize ${t.notes.map(texEscape).join(' ')}`);
  lines.push('\\end{table}', '');
  return lines.join('\n');
}

function label(id: string): string {
  return id.replace(/[^A-Za-z0-9:-]+/g, '-');
}

/** summary.tex: the tables as booktabs fragments to \input into a paper (needs \usepackage{booktabs}). */
export function summaryTex(tables: TaskTables[]): string {
  const parts = ['% tunelab sweep report: tables for \\input{summary.tex}; needs \\usepackage{booktabs}', ''];
  for (const t of tables) {
    parts.push(tableTex(t.main));
    for (const a of t.ablations) parts.push(tableTex(a));
    for (const p of protocolTableList(t)) parts.push(tableTex(p));
    if (t.failures) parts.push(tableTex(t.failures));
  }
  parts.push(...reportNotes().map((n) => `% ${n}`), '');
  return parts.join('\n');
}
