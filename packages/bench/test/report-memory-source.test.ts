import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TrialRecord } from '../src/records/index.js';
import { writeReport } from '../src/report/write.js';

const FIXTURE = new URL('./fixtures/report/results.jsonl', import.meta.url).pathname;
const records = () =>
  readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TrialRecord);
const root = mkdtempSync(join(tmpdir(), 'tunelab-report-mem-'));

async function summary(name: string, recs: TrialRecord[]): Promise<string> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.jsonl'), recs.map((r) => `${JSON.stringify(r)}\n`).join(''));
  await writeReport({ inputs: [dir], out: join(root, `${name}-out`), warn: () => {} });
  return readFileSync(join(root, `${name}-out`, 'summary.md'), 'utf8');
}

describe('the report names the source of every memory figure', () => {
  it('shows tensor bytes as tf.profile, and no VRAM column where no driver reported one', async () => {
    const md = await summary('cpu', records());
    expect(md).toMatch(/\| trainable % \| peak MB \(tf\.profile\) \|/);
    expect(md).not.toContain('VRAM MB');
    expect(md).toContain('peak MB (tf.profile): peak tensor bytes of a training step as tfjs counts them');
  });

  it('adds VRAM from NVML (peak used − used before) beside tensor bytes when every seed has it', async () => {
    const recs = records().filter((r) => r.task === 'wn-supersense');
    for (const r of recs) {
      const added = r.method === 'sft' ? 300e6 : 100e6; // 300.0 and 100.0 MB
      r.deviceMemory = {
        source: 'nvml',
        device: 0,
        name: 'GPU',
        driver: '550.54.15',
        totalBytes: 40e9,
        usedBeforeBytes: 2e9,
        peakUsedBytes: 2e9 + added,
        samples: r.steps,
      };
    }
    const md = await summary('gpu', recs);
    const header = md.split('\n').find((l) => l.startsWith('| method |'))!;
    expect(header).toMatch(/peak MB \(tf\.profile\) \| .*VRAM MB \(NVML\)/);
    const sft = md.split('\n').find((l) => l.startsWith('| sft |'))!;
    const lora = md.split('\n').find((l) => l.startsWith('| lora |'))!;
    expect(sft.split('|').map((c) => c.trim())[5]).toBe('300.0');
    expect(lora.split('|').map((c) => c.trim())[5]).toBe('100.0');
    expect(md).toContain('VRAM MB (NVML): device memory the trial added at its peak as the NVIDIA driver reports it');
  });
});
