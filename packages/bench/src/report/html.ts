import type { ReportModel } from './build.js';
import type { Chart } from './charts.js';
import type { Claim } from './claims.js';
import { slug } from './format.js';
import { protocolTableList, reportNotes, trialCounts, type Table, type TaskTables } from './tables.js';

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Inline, so the page opens from disk (file://) with nothing to fetch. */
const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 1180px; padding: 0 1rem; color: #1d1d1f; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ddd; padding-bottom: .3rem; } h3, h4 { margin: 1.6rem 0 .4rem; }
table { border-collapse: collapse; margin: .4rem 0; font-variant-numeric: tabular-nums; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #e4e4e4; }
thead th { border-bottom: 2px solid #555; font-weight: 600; } tr.group th { border-bottom: 1px solid #999; text-align: center; }
td.r, th.r { text-align: right; } td.l, th.l { text-align: left; }
.note { color: #555; font-size: .9em; margin: .2rem 0; max-width: 70rem; }
.charts { display: flex; flex-wrap: wrap; gap: 1.2rem; } figure { margin: 0; } figcaption { color: #555; font-size: .9em; }
.held { color: #116329; } .did-not-hold { color: #a40e26; } .not-testable { color: #6e5b00; }
.verdict { font-weight: 700; } li { margin: .5rem 0; } li ul li { margin: .1rem 0; color: #333; }
code { font-size: .9em; } nav a { margin-right: 1rem; }
`;

export function tableHtml(t: Table, level = 3): string {
  const groups = t.groups ? `<tr class="group">${t.groups.map((g) => `<th colspan="${g.span}">${esc(g.label)}</th>`).join('')}</tr>` : '';
  const head = `<tr>${t.header.map((h, i) => `<th class="${t.align[i] ?? 'l'}">${esc(h)}</th>`).join('')}</tr>`;
  const body = t.rows
    .map(
      (r) =>
        `<tr>${r.map((x, i) => `<td class="${t.align[i] ?? 'l'}">${x.bold ? `<strong>${esc(x.text)}</strong>` : esc(x.text)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return [
    `<h${level}>${esc(t.title)}</h${level}>`,
    `<table class="${t.id.startsWith('main-') ? 'main-table' : 'table'}" id="${esc(slug(t.id))}"><thead>${groups}${head}</thead><tbody>\n${body}\n</tbody></table>`,
    ...t.notes.map((n) => `<p class="note">${esc(n)}</p>`),
  ].join('\n');
}

/** Inside HTML an <svg> needs no namespace declarations: without them the page holds no URL at all. */
export function inlineSvg(svg: string): string {
  return svg.replace(/\s+xmlns(:xlink)?="[^"]*"/g, '');
}

const verdictClass = (c: Claim) => (c.verdict === 'held' ? 'held' : c.verdict === 'did not hold' ? 'did-not-hold' : 'not-testable');

function claimsHtml(claims: Claim[]): string {
  const items = claims.map(
    (c) =>
      `<li class="claim ${verdictClass(c)}"><span class="verdict">${esc(c.verdict)}</span>${c.needs ? ` (needs ${esc(c.needs)})` : ''}: ${esc(c.title)}. <em>${esc(c.source)}</em>` +
      `<ul><li class="protocol">protocol: ${esc(c.protocol)}</li>${c.evidence.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>` +
      '</li>',
  );
  return `<section id="claims"><h2>Claims of the seed article</h2><ol>${items.join('\n')}</ol></section>`;
}

/** report.html: one self-contained page with every table and chart of the report. */
export function reportHtml(
  model: ReportModel,
  tables: TaskTables[],
  charts: Map<string, Chart[]>,
  claims: Claim[],
  sources: string[],
): string {
  const sections = tables.map((t) => {
    const figs = (charts.get(t.task.task) ?? [])
      .map(
        (c) =>
          `<figure class="chart" data-chart="${esc(c.file)}">${inlineSvg(c.svg)}<figcaption>${esc(c.title)} (${esc(c.file)})</figcaption></figure>`,
      )
      .join('\n');
    return [
      `<section class="task" id="task-${esc(slug(t.task.task))}" data-task="${esc(t.task.task)}" data-variants="${t.task.variants.length}">`,
      `<h2>${esc(t.task.task)} (${esc(t.task.kind)})</h2>`,
      tableHtml(t.main),
      `<div class="charts">${figs}</div>`,
      ...(t.frontier.length
        ? [
            `<p class="note">Pareto frontier (setting chosen on dev, per size):</p><ul class="frontier">${t.frontier.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`,
          ]
        : []),
      ...(t.ablations.length ? ['<h3>Ablations</h3>', ...t.ablations.map((a) => tableHtml(a, 4))] : []),
      ...protocolTableList(t).map((p) => tableHtml(p)),
      ...t.protocol.skipped.map((line) => `<p class="note skipped">${esc(line)}</p>`),
      ...(t.failures ? [tableHtml(t.failures)] : []),
      '</section>',
    ].join('\n');
  });
  const nav = [
    ...tables.map((t) => `<a href="#task-${esc(slug(t.task.task))}">${esc(t.task.task)}</a>`),
    '<a href="#claims">claims</a>',
  ].join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tunelab sweep report</title>
<style>${CSS}</style>
</head>
<body>
<h1>Sweep report</h1>
<p>${model.trials.length} trials (${esc(trialCounts(model))}) on ${model.tasks.length} task(s), from ${esc(sources.join(', '))}. Tables are also in <code>summary.md</code> and <code>summary.tex</code>, every trial in <code>results.csv</code>.</p>
<nav>${nav}</nav>
${sections.join('\n')}
${claimsHtml(claims)}
<footer><h2>How to read this report</h2><ul>${reportNotes()
    .map((n) => `<li>${esc(n)}</li>`)
    .join('')}</ul></footer>
</body>
</html>
`;
}
