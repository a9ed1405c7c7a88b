/** No tracked text file keeps a merge's conflict markers (two READMEs once did, unnoticed by every other test). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../../', import.meta.url).pathname;
const TEXT = /\.(md|ts|js|mjs|cjs|json|cc|h|sh|py|yaml|yml|sbatch|txt|tex)$/;

describe('the repository', () => {
  it('has no conflict markers in any tracked text file', () => {
    const files = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => TEXT.test(f) && !f.startsWith('fixtures/'));
    expect(files.length).toBeGreaterThan(100);
    const marked = files.filter((f) => /^(<{7} |>{7} )/m.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(marked).toEqual([]);
  });
});
