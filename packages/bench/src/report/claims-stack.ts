import { stackIds } from '@tunelab/core/internal';
import type { Cell, ReportModel, TaskReport } from './build.js';
import type { Claim } from './claim.js';
import { pct } from './format.js';
import { protocolOf, protocolText } from './protocol.js';

const fromScratch = (c: Cell) => c.settings.some((s) => s.trials.some((r) => r.fromScratch));

/** The best on dev of a method's cells at one size (any variant of it: a mode, a target list). */
function bestOf(t: TaskReport, model: string, method: string): Cell | undefined {
  const cells = t.cells.filter((c) => c.model === model && c.variant.method === method && c.best && !fromScratch(c));
  return cells.sort((a, b) => b.best!.dev.mean - a.best!.dev.mean)[0];
}

const show = (c: Cell) => `${pct(c.best!.test.mean)} ± ${pct(c.best!.test.std)} (dev ${pct(c.best!.dev.mean)}, n=${c.best!.test.n})`;

/**
 * The seed article's "LoRA can be combined with other methods, such as prefix tuning", as the LoRA
 * paper measured it (LoRA + prefix-embedding tuning beat both): for every stack in the sweep, on
 * every task and size where it and each of its parts ran, is the stack's test number at least the
 * better part's? Every number is of the setting chosen on dev (and, for a method with several
 * variants, of the variant best on dev). Generic: it reads the stacks' ids, it names no method.
 */
export function stackClaim(m: ReportModel): Claim {
  const base = {
    title: 'A stack of methods is at least as good as the better of its parts (dev-selected settings)',
    source:
      'the seed article: LoRA "can be combined with other methods, such as prefix tuning"; LoRA (Hu et al. 2021), Appendix E: LoRA + prefix-embedding tuning',
  };
  const evidence: string[] = [];
  const cells: Cell[] = [];
  let held = true;
  for (const t of m.tasks) {
    const stacks = [...new Set(t.variants.map((v) => v.method).filter((id) => id.includes('+')))].sort();
    for (const stack of stacks) {
      for (const model of t.models) {
        const whole = bestOf(t, model.name, stack);
        const parts = stackIds(stack).map((id) => ({ id, cell: bestOf(t, model.name, id) }));
        if (!whole || parts.some((p) => !p.cell)) continue;
        const better = parts.reduce((a, b) => (b.cell!.best!.test.mean > a.cell!.best!.test.mean ? b : a));
        const gap = whole.best!.test.mean - better.cell!.best!.test.mean;
        const ok = gap >= 0;
        held &&= ok;
        cells.push(whole, ...parts.map((p) => p.cell!));
        evidence.push(
          `${t.task} @ ${model.name}: ${stack} ${show(whole)}; ${parts.map((p) => `${p.id} ${show(p.cell!)}`).join('; ')}: ` +
            `${(100 * Math.abs(gap)).toFixed(1)} points ${ok ? 'at or above' : 'below'} the better part (${better.id}) on ${t.metric.label}`,
        );
      }
    }
  }
  const protocol = protocolText(protocolOf([...new Set(cells)], m.grouping));
  if (!evidence.length) {
    return {
      ...base,
      verdict: 'not testable in this sweep',
      needs: 'a stacked row (e.g. "method": ["lora", "ptuning-v2"]) and rows of each of its methods on the same task and size',
      protocol,
      evidence: [],
    };
  }
  return {
    ...base,
    verdict: held ? 'held' : 'did not hold',
    protocol,
    evidence: ['held means the stack at or above the better of its parts in every (task, size) where all of them ran.', ...evidence],
  };
}
