import { canonicalJson } from '@tunelab/core/internal';
import type { SweepRecord } from '../records/index.js';
import type { Loaded } from './load.js';

/**
 * The row rule. Within one method, a setting whose values vary across the records is either
 * - a variant (its own table row) when any of its values is not a number: strings, booleans,
 *   lists (a `mode: deep|shallow`, a list of `modules` or `targets`), or
 * - a hyperparameter (tuned on dev inside a cell, and an ablation axis) when all its values are
 *   numbers (rank, prefix length, frozen depth, learning rate).
 * Settings are the method's params plus the training settings (`lr` from a grid row). Nothing here
 * knows a method: the rule reads the records alone.
 */
export const ROW_RULE =
  "Rows are method variants: a parameter whose values differ across one method's records and are not all numbers (a string, a boolean or a list, e.g. mode=shallow) makes its own row; " +
  'numeric parameters (rank, prefix length, trainable layers, learning rate) are hyperparameters: each cell shows the setting with the best mean DEV metric over seeds, never the test one.';

/** A method with its non-numeric settings fixed: one row of the main table. */
export interface Variant {
  id: string;
  method: string;
  /** `method` alone, or `method (key=value, ...)` */
  label: string;
}

export interface MetricSpec {
  key: 'accuracy' | 'spanF1';
  label: string;
}

/**
 * The task's headline metric, from core's metric names: accuracy for classification; span F1 for
 * tagging, since token accuracy is dominated by the outside tag (the all-outside baseline already
 * scores ~87% on casing) while span F1 only counts the labelled spans.
 */
export function primaryMetric(taskKind: string): MetricSpec {
  if (taskKind === 'generation') return { key: 'accuracy', label: 'exact match' };
  return taskKind === 'tagging' ? { key: 'spanF1', label: 'span F1' } : { key: 'accuracy', label: 'accuracy' };
}

/** A stack's params are grouped by method id: each group's keys read as `<id>.<key>` (`lora.rank`), as the grid writes them. */
function flatParams(r: Pick<SweepRecord, 'params' | 'method'>): [string, unknown][] {
  const stacked = r.method.includes('+');
  return Object.entries(r.params).flatMap(([k, v]) =>
    stacked && v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.entries(v).map(([kk, vv]): [string, unknown] => [`${k}.${kk}`, vv])
      : [[k, v]],
  );
}

/**
 * A record's settings, flattened: params by name (a stack's as `<method id>.<param>`), training
 * settings as `training.<key>`, and the method's version. A stack is a method of its own here:
 * `lora+ptuning-v2` is its own variant, next to `lora` and `ptuning-v2`.
 */
export function settingsOf(
  r: Pick<SweepRecord, 'params' | 'training' | 'fromScratch' | 'methodVersion' | 'method'>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of flatParams(r)) out[k] = v;
  for (const [k, v] of Object.entries(r.training)) out[`training.${k}`] = v;
  if (r.fromScratch) out.fromScratch = true;
  // a string: two versions of one method in a folder are two rows, never averaged in one cell
  out.version = r.methodVersion;
  return out;
}

/** `training.lr` reads as `lr`. */
export function displayKey(key: string): string {
  return key.startsWith('training.') ? key.slice('training.'.length) : key;
}

export function formatValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(formatValue).join('+');
  if (v === undefined) return '(unset)';
  return typeof v === 'object' && v !== null ? canonicalJson(v) : String(v);
}

export interface Grouping {
  variantOf(t: Loaded): Variant;
  /** numeric settings of the variant that take more than one value in some (task, model) cell */
  axesOf(variantId: string): string[];
  /** the axis values of a trial, e.g. { rank: 4 } */
  settingOf(t: Loaded): Record<string, number>;
}

const valueKey = (v: unknown) => (v === undefined ? '\u0000unset' : canonicalJson(v));

export function groupTrials(trials: readonly Loaded[]): Grouping {
  // per method: every setting key and its distinct values (a missing key counts as a value)
  const byMethod = new Map<string, Loaded[]>();
  for (const t of trials) byMethod.set(t.record.method, [...(byMethod.get(t.record.method) ?? []), t]);
  const splitKeys = new Map<string, string[]>();
  for (const [method, ts] of byMethod) {
    const keys = new Set(ts.flatMap((t) => Object.keys(settingsOf(t.record))));
    const split = [...keys].filter((k) => {
      const values = ts.map((t) => settingsOf(t.record)[k]);
      return new Set(values.map(valueKey)).size > 1 && !values.every((v) => typeof v === 'number');
    });
    splitKeys.set(method, split.sort());
  }

  const variants = new Map<string, Variant>();
  const variantOfTrial = new Map<Loaded, Variant>();
  for (const t of trials) {
    const split = splitKeys.get(t.record.method)!;
    const s = settingsOf(t.record);
    const id = `${t.record.method}${canonicalJson(split.map((k) => [k, s[k] ?? null]))}`;
    let v = variants.get(id);
    if (!v) {
      // a setting this record leaves unset (an optional param) adds nothing to its label
      const parts = split.filter((k) => s[k] !== undefined).map((k) => `${displayKey(k)}=${formatValue(s[k])}`);
      v = { id, method: t.record.method, label: parts.length ? `${t.record.method} (${parts.join(', ')})` : t.record.method };
      variants.set(id, v);
    }
    variantOfTrial.set(t, v);
  }

  // hyperparameter axes: numeric keys that vary inside one (task, variant, model) cell
  const axes = new Map<string, Set<string>>();
  const cells = new Map<string, Loaded[]>();
  for (const t of trials) {
    const key = `${t.record.task}\u0000${variantOfTrial.get(t)!.id}\u0000${t.record.model}`;
    cells.set(key, [...(cells.get(key) ?? []), t]);
  }
  for (const ts of cells.values()) {
    const v = variantOfTrial.get(ts[0]!)!;
    const split = new Set(splitKeys.get(v.method));
    const keys = new Set(ts.flatMap((t) => Object.keys(settingsOf(t.record))));
    for (const k of keys) {
      if (split.has(k)) continue;
      const values = ts.map((t) => settingsOf(t.record)[k]);
      if (values.every((x) => typeof x === 'number') && new Set(values).size > 1) axes.set(v.id, (axes.get(v.id) ?? new Set()).add(k));
    }
  }

  return {
    variantOf: (t) => variantOfTrial.get(t) ?? fail(t),
    axesOf: (id) => [...(axes.get(id) ?? [])].sort(),
    settingOf(t) {
      const s = settingsOf(t.record);
      const out: Record<string, number> = {};
      for (const k of [...(axes.get(variantOfTrial.get(t)?.id ?? '') ?? [])].sort()) out[k] = s[k] as number;
      return out;
    },
  };
}

function fail(t: Loaded): never {
  throw new Error(`report: trial ${t.record.trialId} (${t.where}) was not grouped`);
}

/** `rank=4, lr=0.001`, or `default` when the variant has no hyperparameter axis. */
export function settingLabel(values: Record<string, number>): string {
  const parts = Object.entries(values).map(([k, v]) => `${displayKey(k)}=${v}`);
  return parts.length ? parts.join(', ') : 'default';
}
