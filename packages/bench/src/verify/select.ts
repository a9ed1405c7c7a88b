import { UserError, sha256 } from '@tunelab/core/internal';
import { readResults } from '../records/index.js';
import type { TrialRecord } from '../records/index.js';

/** Records that can be re-run and compared: finished ones (`ok`, `diverged`, `pruned` at its rung), which carry metrics. */
export interface VerifiableSet {
  records: TrialRecord[];
  /** failed records, which have nothing to compare */
  failed: number;
  warnings: string[];
}

export function readVerifiable(dirs: readonly string[]): VerifiableSet {
  const out: VerifiableSet = { records: [], failed: 0, warnings: [] };
  const seen = new Set<string>();
  for (const dir of dirs) {
    const read = readResults(dir);
    if (read.files.length === 0) throw new UserError(`--in ${dir}: no results*.jsonl files there (run a sweep into it first)`);
    if (read.errors.length > 0)
      throw new UserError(`--in ${dir}: ${read.errors[0]}${read.errors.length > 1 ? ` (and ${read.errors.length - 1} more)` : ''}`);
    out.warnings.push(...read.warnings);
    for (const r of read.records.values()) {
      if (seen.has(r.trialId)) continue;
      seen.add(r.trialId);
      if (r.status === 'failed') out.failed++;
      else out.records.push(r as TrialRecord);
    }
  }
  if (out.records.length === 0) throw new UserError(`--in ${dirs.join(', ')}: no finished trials to verify (${out.failed} failed)`);
  out.records.sort((a, b) => a.trialId.localeCompare(b.trialId));
  return out;
}

/**
 * Which records to re-run: the named trials (a unique id prefix is enough), else a sample of N
 * chosen by hashing each id with the seed (the same seed picks the same trials on every machine),
 * else all of them.
 */
export function chooseTrials(
  records: readonly TrialRecord[],
  o: { trials?: readonly string[]; sample?: number; seed: number },
): TrialRecord[] {
  if (o.trials && o.trials.length > 0) {
    return o.trials.map((want) => {
      const hits = records.filter((r) => r.trialId.startsWith(want));
      if (hits.length === 0)
        throw new UserError(`--trial ${want}: no finished trial with that id (${records.length} recorded; see results.jsonl)`);
      if (hits.length > 1)
        throw new UserError(
          `--trial ${want}: ambiguous, matches ${hits.length} trials (${hits
            .slice(0, 3)
            .map((h) => h.trialId)
            .join(', ')}, ...); give more characters`,
        );
      return hits[0]!;
    });
  }
  if (o.sample !== undefined) {
    if (!Number.isInteger(o.sample) || o.sample < 1) throw new UserError(`--sample: must be an integer >= 1 (got ${o.sample})`);
    const keyed = records.map((r) => ({ r, k: sha256(`${o.seed}:${r.trialId}`) }));
    keyed.sort((a, b) => a.k.localeCompare(b.k));
    return keyed.slice(0, o.sample).map((x) => x.r);
  }
  return [...records];
}
