import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_FILE } from '../records/index.js';
import { writeReport } from './write.js';

/**
 * Every sweep ends with its report, rebuilt from all the records in the folder (every shard's so
 * far). A report that cannot be built is a warning: the records, the sweep's real output, are safe.
 */
export async function reportAfterSweep(out: string, log: (line: string) => void): Promise<string | undefined> {
  try {
    // shards sharing the folder finish at about the same time: whoever swaps its report in last
    // must not leave one built before another shard's last record, so rebuild while records change
    for (let tries = 0; ; tries++) {
      const before = resultsFingerprint(out);
      const r = await writeReport({ inputs: [out], out: join(out, 'report'), warn: () => {} });
      if (resultsFingerprint(out) === before || tries >= 3) {
        log(`report: ${join(r.out, 'report.html')}`);
        return r.out;
      }
    }
  } catch (e) {
    log(`warning: no report: ${(e as Error).message}`);
    return undefined;
  }
}

function resultsFingerprint(dir: string): string {
  return readdirSync(dir)
    .filter((n) => RESULTS_FILE.test(n))
    .sort()
    .map((n) => `${n}:${statSync(join(dir, n)).size}`)
    .join(',');
}
