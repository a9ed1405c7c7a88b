import { zooShape, type EncoderConfig, type MethodRegistry, type ModelShape } from '@tunelab/core/internal';
import type { TrialRecord } from '../records/index.js';
import type { Cell, ReportModel, TaskReport } from './build.js';
import type { Claim } from './claim.js';
import { stackClaim } from './claims-stack.js';
import { memoryScaleClaims } from './claims-memory-scale.js';
import { loraQuality } from './claims-lora.js';

export type { Claim, Verdict } from './claim.js';
import { count, pct, sharePct } from './format.js';
import { protocolOf, protocolText } from './protocol.js';

/**
 * The seed article's checklist, tested on this sweep's numbers. This is the one part of the
 * report that names method ids: each claim is about a named method. Everything else is generic.
 */
/** The protocol line of a claim about parameter counts: training settings cannot change them. */
export const COUNTS_PROTOCOL = 'none needed: parameter counts, the same at any budget, selection or learning rate';

/** The protocol line of a claim that compares these cells' numbers. */
const protocolLine = (m: ReportModel, cells: Cell[]) => protocolText(protocolOf([...new Set(cells)], m.grouping));

/** "Comparable to fine-tuning": P-tuning v2 (deep) within this many points of SFT. */
export const PTUNING_MARGIN_POINTS = 1;
/** "About 2/3": the measured FFN share of a layer within this of 2/3. */
export const FFN_SHARE_TOLERANCE = 0.02;

const SFT = 'sft';
const LORA = 'lora';
const PTUNING = 'ptuning-v2';
const FREEZE = 'freeze';

const okTrials = (m: ReportModel, method: string): TrialRecord[] =>
  m.trials.flatMap((t) => (t.status === 'ok' && t.record.method === method && !t.record.fromScratch ? [t.record] : []));

const firstParams = (c: Cell) => c.settings[0]?.trials[0]?.params ?? {};
const isDeep = (c: Cell) => (firstParams(c).mode ?? 'deep') === 'deep';
const isShallow = (c: Cell) => firstParams(c).mode === 'shallow';
const fromScratch = (c: Cell) => c.settings.some((s) => s.trials.some((r) => r.fromScratch));

/** Among the cells of a size that match, the one whose chosen setting is best on dev. */
function bestCell(t: TaskReport, model: string, keep: (c: Cell) => boolean): Cell | undefined {
  const cells = t.cells.filter((c) => c.model === model && c.best && !fromScratch(c) && keep(c));
  return cells.sort((a, b) => b.best!.dev.mean - a.best!.dev.mean)[0];
}

const points = (x: number) => (100 * x).toFixed(1);
const show = (c: Cell) => `${pct(c.best!.test.mean)} ± ${pct(c.best!.test.std)} (n=${c.best!.test.n})`;

// ---- (1) LoRA's parameter count in closed form

/** A record's model shape: `shape`, or older records' zoo-style `encoder` (with the defaults they left out). */
export function recordShape(r: Pick<TrialRecord, 'shape' | 'encoder'>): ModelShape | undefined {
  if (r.shape) return r.shape;
  const e = r.encoder;
  return e ? zooShape({ ...e, ffnMultiplier: e.ffnMultiplier ?? 4 }) : undefined;
}

const shapeOf = (e: ModelShape | EncoderConfig): ModelShape => ('ffnWidth' in e ? e : recordShape({ encoder: e })!);

/**
 * A method's closed-form parameter count (its `expectedParams`, through the method registry: the
 * report names the method it checks, never imports its package). undefined when the method is not
 * installed or states no closed form.
 */
function expected(
  methods: MethodRegistry,
  id: string,
  params: Record<string, unknown>,
  shape: ModelShape,
): { adapter: number; trainableBackbone: number } | undefined {
  if (!methods.has(id)) return undefined;
  const m = methods.get(id);
  return m.expectedParams?.(methods.parseParams(id, params), shape);
}

/** Σ r·(d_in + d_out) over the adapted matrices (A is d_in × r, B is r × d_out): lora's own closed form. */
export function loraClosedForm(
  methods: MethodRegistry,
  e: ModelShape | EncoderConfig,
  params: Record<string, unknown>,
): number | undefined {
  return expected(methods, LORA, params, shapeOf(e))?.adapter;
}

function loraCount(m: ReportModel, methods: MethodRegistry): Claim {
  const base = {
    title: "LoRA's trainable parameters are Σ r·(d_in + d_out) over the adapted matrices",
    source: 'LoRA (Hu et al. 2021), §4',
    protocol: COUNTS_PROTOCOL,
  };
  const recs = okTrials(m, LORA).filter((r) => recordShape(r));
  if (!recs.length)
    return {
      ...base,
      verdict: 'not testable in this sweep',
      needs: 'finished lora trials whose records carry their model shape',
      evidence: [],
    };
  if (!methods.has(LORA))
    return {
      ...base,
      verdict: 'not testable in this sweep',
      needs: "the 'lora' method installed (its expectedParams is the closed form)",
      evidence: [],
    };
  const closed = (r: TrialRecord) => loraClosedForm(methods, recordShape(r)!, r.params);
  const wrong = recs.filter((r) => closed(r) !== r.adapterParams);
  const examples = new Map<string, string>();
  for (const r of recs) {
    const e = recordShape(r)!;
    const key = `${r.model} ${JSON.stringify(r.params.targets)} ${JSON.stringify(r.params.layers)} ${r.params.rank}`;
    if (!examples.has(key)) {
      examples.set(
        key,
        `${r.model} (L=${e.layers}, d=${e.hidden}), r=${r.params.rank}, targets ${JSON.stringify(r.params.targets)}: closed form ${closed(r)} (lora's expectedParams); recorded adapterParams ${r.adapterParams}`,
      );
    }
  }
  return {
    ...base,
    verdict: wrong.length ? 'did not hold' : 'held',
    evidence: [
      `${recs.length - wrong.length} of ${recs.length} lora records match the closed form exactly.`,
      ...examples.values(),
      ...wrong.slice(0, 3).map((r) => `mismatch: trial ${r.trialId}: closed form ${closed(r)}, recorded ${r.adapterParams}`),
    ],
  };
}

// ---- (2) P-tuning v2 against SFT, and the shallow prompt against both

function ptuning(m: ReportModel): Claim[] {
  const a = {
    title: `P-tuning v2 (mode deep) is within ${PTUNING_MARGIN_POINTS} point(s) of SFT at every model size`,
    source: 'P-tuning v2 (Liu et al. 2022), §4: comparable to fine-tuning across scales',
  };
  const b = {
    title: 'The shallow prompt (prompt tuning) falls further behind SFT than P-tuning v2: at the smallest size, and on token labelling',
    source: 'P-tuning v2 (Liu et al. 2022), §1 and §4.2: prompt tuning lags on small models and on sequence labelling',
  };
  const evA: string[] = [];
  const evB: string[] = [];
  const cellsA: Cell[] = [];
  const cellsB: Cell[] = [];
  let holdsA = true;
  let holdsB = true;
  let testedB = false;
  for (const t of m.tasks) {
    t.models.forEach((model, i) => {
      const sft = bestCell(t, model.name, (c) => c.variant.method === SFT);
      const deep = bestCell(t, model.name, (c) => c.variant.method === PTUNING && isDeep(c));
      const shallow = bestCell(t, model.name, (c) => c.variant.method === PTUNING && isShallow(c));
      if (!sft || !deep) return;
      const gapDeep = sft.best!.test.mean - deep.best!.test.mean;
      const ok = 100 * gapDeep <= PTUNING_MARGIN_POINTS;
      holdsA &&= ok;
      cellsA.push(sft, deep);
      evA.push(
        `${t.task} @ ${model.name}: SFT ${show(sft)}, deep ${show(deep)}: ${t.metric.label} gap ${points(gapDeep)} points (${ok ? 'within' : 'beyond'} ${PTUNING_MARGIN_POINTS})`,
      );
      if (!shallow || (i > 0 && t.kind !== 'tagging')) return;
      testedB = true;
      const gapShallow = sft.best!.test.mean - shallow.best!.test.mean;
      const further = gapShallow > gapDeep;
      holdsB &&= further;
      cellsB.push(sft, deep, shallow);
      const why = [i === 0 ? 'smallest size' : '', t.kind === 'tagging' ? 'token labelling' : ''].filter(Boolean).join(', ');
      evB.push(
        `${t.task} @ ${model.name} (${why}): shallow ${show(shallow)}, gap to SFT ${points(gapShallow)} points vs deep ${points(gapDeep)}: ${further ? 'further behind' : 'not further behind'}`,
      );
    });
  }
  const claimA: Claim = evA.length
    ? { ...a, verdict: holdsA ? 'held' : 'did not hold', protocol: protocolLine(m, cellsA), evidence: evA }
    : {
        ...a,
        verdict: 'not testable in this sweep',
        needs: 'sft and ptuning-v2 (mode=deep) trials on the same task and size',
        protocol: protocolLine(m, []),
        evidence: [],
      };
  const claimB: Claim = testedB
    ? { ...b, verdict: holdsB ? 'held' : 'did not hold', protocol: protocolLine(m, cellsB), evidence: evB }
    : {
        ...b,
        verdict: 'not testable in this sweep',
        needs: 'sft, ptuning-v2 mode=deep and mode=shallow trials on the same task and size',
        protocol: protocolLine(m, []),
        evidence: [],
      };
  return [claimA, claimB];
}

// ---- (3) Freeze: the FFN is about 2/3 of a layer

/** Parameters of one layer and of its FFN and attention (weights and biases): freeze's closed form per module, through the registry. */
export function layerParams(
  methods: MethodRegistry,
  e: ModelShape | EncoderConfig,
): { layer: number; ffn: number; attn: number; norms: number } | undefined {
  const one = { ...shapeOf(e), layers: 1 };
  const count = (modules: string) => expected(methods, FREEZE, { trainableLayers: 1, modules }, one)?.trainableBackbone;
  const [layer, ffn, attn] = [count('all'), count('ffn'), count('attn')];
  if (layer === undefined || ffn === undefined || attn === undefined) return undefined;
  return { layer, ffn, attn, norms: layer - ffn - attn };
}

function freezeShare(m: ReportModel, methods: MethodRegistry): Claim {
  const base = {
    title:
      "Freeze with modules=ffn trains each trained layer's FFN: 2/3 of the layer when d_ff = 4d (the seed's Transformer), the share its shape gives otherwise (a SwiGLU decoder's three FFN matrices)",
    source: 'Freeze-tuning recipe of the seed article (FFN = 2 of the 3 weight blocks of a Transformer layer when d_ff = 4d)',
    protocol: COUNTS_PROTOCOL,
  };
  const recs = okTrials(m, FREEZE).filter((r) => recordShape(r) && (r.params.modules ?? 'ffn') === 'ffn');
  if (!recs.length)
    return {
      ...base,
      verdict: 'not testable in this sweep',
      needs: 'finished freeze trials with modules=ffn whose records carry their model shape',
      evidence: [],
    };
  if (layerParams(methods, recordShape(recs[0]!)!) === undefined)
    return {
      ...base,
      verdict: 'not testable in this sweep',
      needs: "the 'freeze' method installed (its expectedParams is the closed form)",
      evidence: [],
    };
  const seen = new Map<string, { share: number; closed: number; bertShaped: boolean; line: string }>();
  for (const r of recs) {
    const e = recordShape(r)!;
    const n = Math.min(Math.abs(Number(r.params.trainableLayers ?? 1)), e.layers);
    const p = layerParams(methods, e)!;
    const share = (r.trainableParams - r.headParams) / (n * p.layer);
    const closed = p.ffn / p.layer;
    const bertShaped = !e.gated && e.ffnWidth === 4 * e.hidden;
    const ffnWeights = (e.gated ? 3 : 2) * e.ffnWidth;
    const attnWeights = 2 * e.hidden + 2 * e.kvHeads * e.headDim;
    const key = `${r.model} ${n}`;
    if (!seen.has(key)) {
      seen.set(key, {
        share,
        closed,
        bertShaped,
        line: `${r.model} (d=${e.hidden}, d_ff=${e.ffnWidth}${e.gated ? ', gated' : ''}), ${n} layer(s): (trainable ${r.trainableParams} − head ${r.headParams}) / (${n} × ${p.layer} per layer) = ${share.toFixed(3)}; closed-form FFN share ${closed.toFixed(3)}, weights only ${(ffnWeights / (attnWeights + ffnWeights)).toFixed(3)}${bertShaped ? " (d_ff = 4d: the seed's 2/3)" : ''}`,
      });
    }
  }
  const held = [...seen.values()].every(
    (s) => Math.abs(s.share - s.closed) < 1e-9 && (!s.bertShaped || Math.abs(s.share - 2 / 3) <= FFN_SHARE_TOLERANCE),
  );
  return {
    ...base,
    verdict: held ? 'held' : 'did not hold',
    evidence: [
      `held means the measured share equals the shape's closed form at every size, and is within ±${FFN_SHARE_TOLERANCE} of 2/3 = 0.667 where d_ff = 4d.`,
      ...[...seen.values()].map((s) => s.line),
    ],
  };
}

// ---- (4) LoRA's peak memory against SFT's

function loraMemory(m: ReportModel): Claim {
  const base = {
    title: 'LoRA needs less training memory than SFT (no gradients or optimizer state for the frozen weights)',
    source: 'LoRA (Hu et al. 2021), §4.2: up to 2/3 less VRAM on GPT-3 175B',
  };
  const ev: string[] = [];
  const cells: Cell[] = [];
  let held = true;
  for (const t of m.tasks) {
    for (const model of t.models) {
      const sft = bestCell(t, model.name, (c) => c.variant.method === SFT);
      const lora = bestCell(t, model.name, (c) => c.variant.method === LORA);
      if (!sft || !lora) continue;
      const s = sft.best!;
      const l = lora.best!;
      const ratio = l.peakBytes / s.peakBytes;
      held &&= ratio < 1;
      cells.push(sft, lora);
      const state = (x: typeof s) => x.memory.gradients + x.memory.optimizer;
      ev.push(
        `${t.task} @ ${model.name}: LoRA ${(l.peakBytes / 1e6).toFixed(2)} MB / SFT ${(s.peakBytes / 1e6).toFixed(2)} MB = ${ratio.toFixed(3)} (gradients + optimizer state ${(state(l) / 1e6).toFixed(3)} vs ${(state(s) / 1e6).toFixed(3)} MB; activations ${(l.memory.activations / 1e6).toFixed(2)} vs ${(s.memory.activations / 1e6).toFixed(2)} MB)`,
      );
    }
  }
  if (!ev.length)
    return {
      ...base,
      verdict: 'not testable in this sweep',
      needs: 'sft and lora trials on the same task and size',
      protocol: protocolLine(m, []),
      evidence: [],
    };
  return {
    ...base,
    verdict: held ? 'held' : 'did not hold',
    protocol: protocolLine(m, cells),
    evidence: [
      `held means LoRA's peak below SFT's at every size; the paper's 2/3 saving needs a model whose weights and optimizer state, not activations, fill the memory.`,
      ...ev,
    ],
  };
}

// ---- (5) Trainable share of each PEFT method

function shares(m: ReportModel): Claim {
  const base = {
    title: 'P-tuning v2 trains 0.1%–3% of the parameters (and the share of every PEFT method)',
    source: 'P-tuning v2 (Liu et al. 2022), abstract and §4',
    protocol: COUNTS_PROTOCOL,
  };
  const ev: string[] = [];
  const ptuningShares: number[] = [];
  for (const t of m.tasks) {
    for (const v of t.variants) {
      if (v.method === SFT) continue;
      const cells = t.cells.filter((c) => c.variant.id === v.id && c.best);
      if (!cells.length) continue;
      const parts = cells.map((c) => {
        const r = c.best!.trials[0]!;
        return `${c.model} ${sharePct(c.best!.trainableShare)}% (${sharePct((r.trainableParams - r.headParams) / r.totalParams)}% without the head; ${count(r.trainableParams)} of ${count(r.totalParams)})`;
      });
      if (v.method === PTUNING && cells.every(isDeep))
        ptuningShares.push(...cells.flatMap((c) => c.settings.flatMap((s) => s.trials.map((r) => r.trainableShare))));
      ev.push(`${t.task}, ${v.label}: ${parts.join('; ')}`);
    }
  }
  if (!ptuningShares.length)
    return { ...base, verdict: 'not testable in this sweep', needs: 'finished ptuning-v2 mode=deep trials', evidence: ev };
  const held = ptuningShares.every((s) => s >= 0.001 && s <= 0.03);
  const lo = Math.min(...ptuningShares);
  const hi = Math.max(...ptuningShares);
  return {
    ...base,
    verdict: held ? 'held' : 'did not hold',
    evidence: [
      `ptuning-v2 (deep) trials train ${sharePct(lo)}%–${sharePct(hi)}% of all parameters, the new task head included (the paper's models are 100x-1000x larger, where the head is negligible).`,
      ...ev,
    ],
  };
}

export function checkClaims(m: ReportModel, methods: MethodRegistry): Claim[] {
  return [
    loraCount(m, methods),
    ...ptuning(m),
    loraQuality(m),
    freezeShare(m, methods),
    loraMemory(m),
    ...memoryScaleClaims(methods),
    shares(m),
    stackClaim(m),
  ];
}
