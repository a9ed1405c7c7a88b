import type { Cell, ReportModel, TaskReport } from './build.js';
import type { Claim } from './claim.js';
import { pct } from './format.js';
import { protocolOf, protocolText } from './protocol.js';

/** "Close to full fine-tuning": LoRA within this many points of SFT. */
export const LORA_MARGIN_POINTS = 1;

function best(t: TaskReport, model: string, method: string): Cell | undefined {
  const cells = t.cells.filter(
    (c) => c.model === model && c.best && c.variant.method === method && !c.settings.some((s) => s.trials.some((r) => r.fromScratch)),
  );
  return cells.sort((a, b) => b.best!.dev.mean - a.best!.dev.mean)[0];
}

/**
 * LoRA's quality against full fine-tuning, per task and size, on the test metric of the setting
 * each chose on dev (the LoRA paper's tables: LoRA matches or beats fine-tuning on GPT-2 and GPT-3).
 */
export function loraQuality(m: ReportModel): Claim {
  const base = {
    title: `LoRA is close to full fine-tuning: within ${LORA_MARGIN_POINTS} point(s) of SFT at every task and size`,
    source: 'LoRA (Hu et al. 2021), §5 (GPT-2, GPT-3): on par with or better than fine-tuning',
  };
  const ev: string[] = [];
  const cells: Cell[] = [];
  let held = true;
  for (const t of m.tasks) {
    for (const model of t.models) {
      const sft = best(t, model.name, 'sft');
      const lora = best(t, model.name, 'lora');
      if (!sft || !lora) continue;
      const gap = sft.best!.test.mean - lora.best!.test.mean;
      const ok = 100 * gap <= LORA_MARGIN_POINTS;
      held &&= ok;
      cells.push(sft, lora);
      const show = (c: Cell) => `${pct(c.best!.test.mean)} ± ${pct(c.best!.test.std)} (n=${c.best!.test.n})`;
      ev.push(
        `${t.task} @ ${model.name}: SFT ${show(sft)}, LoRA ${show(lora)}: ${t.metric.label} gap ${(100 * gap).toFixed(1)} points (${ok ? 'within' : 'beyond'} ${LORA_MARGIN_POINTS})`,
      );
    }
  }
  const protocol = protocolText(protocolOf([...new Set(cells)], m.grouping));
  if (!ev.length)
    return {
      ...base,
      verdict: 'not testable in this sweep',
      needs: 'sft and lora trials on the same task and size',
      protocol,
      evidence: [],
    };
  return { ...base, verdict: held ? 'held' : 'did not hold', protocol, evidence: ev };
}
