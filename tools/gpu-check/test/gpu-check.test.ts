import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareTrials, PARITY_REL, verifyClose } from '../summarize.mjs';

/**
 * The device check's bundle, rehearsed here: pack.mjs --fast (gzip instead of xz, so a fresh clone
 * packs in seconds; Node and the static files are cached in .cache/gpu-check/), then run.sh
 * --rehearsal through rehearse.sh, with no Node on PATH, on this machine's software adapter.
 */
const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tunelab-gpu-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sh(cmd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 280_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Step {
  name: string;
  status: string;
  note: string;
}
interface Rec {
  backend: string;
  status: string;
  steps: number;
  curve: { step: number; trainLoss: number }[];
  finalTrainLoss: number;
  trialId: string;
  deviceMemory?: { absent?: string };
}

describe('tools/gpu-check: the device bundle, rehearsed on the software adapter', () => {
  it('packs, then runs every step with the pack alone and writes the results', () => {
    const pack = join(dir, 'pack');
    const p = sh(process.execPath, ['tools/gpu-check/pack.mjs', '--fast', '--out', pack]);
    expect(p.code, p.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(pack, 'manifest.json'), 'utf8')) as {
      node: { version: string };
      files: Record<string, { bytes: number }>;
    };
    expect(Object.keys(manifest.files).sort()).toEqual(['app.tar.gz', 'node.gz', 'static.tar.gz']);
    const nodeVersion = (JSON.parse(readFileSync(join(ROOT, 'tools/gpu-check/node-version.json'), 'utf8')) as { version: string }).version;
    expect(manifest.node.version).toBe(nodeVersion);

    const out = join(dir, 'out');
    const r = sh('bash', ['tools/gpu-check/rehearse.sh', out, '--pack', pack]);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      env: Record<string, string>;
      steps: Step[];
      trials: { comparison: ReturnType<typeof compareTrials> };
    };
    // only the pack's node ran: none on PATH
    expect(s.env.system_node).toBe('none');
    expect(s.env.node).toBe(`v${nodeVersion}`);
    const status = Object.fromEntries(s.steps.map((x) => [x.name, x.status]));
    for (const name of ['unpack', 'backends', 'trial-native', 'trial-webgpu', 'perf', 'cell-lora']) expect(status[name], name).toBe('ok');
    const torch = s.steps.find((x) => x.name === 'torch')!;
    if (torch.status === 'skipped') expect(torch.note).toMatch(/torch is not installed/);
    else expect(torch.status).toBe('ok');
    expect(existsSync(join(out, 'torch-peer.jsonl'))).toBe(torch.status === 'ok');
    for (const f of ['summary.md', 'backends.json', 'perf.json', 'trials.jsonl', 'cells.jsonl', 'logs.tar.gz'])
      expect(existsSync(join(out, f)), f).toBe(true);

    // backends: webgpu loads on a software adapter, which auto passes over
    const b = JSON.parse(readFileSync(join(out, 'backends.json'), 'utf8')) as {
      backends: { name: string; loads: boolean; info?: { adapter?: { software: boolean; device: string } } }[];
      auto: { name?: string };
    };
    expect(b.backends.map((x) => x.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow', 'native', 'wasm', 'cpu']);
    const w = b.backends.find((x) => x.name === 'webgpu')!;
    expect(w.loads).toBe(true);
    expect(w.info?.adapter?.software).toBe(true);
    expect(w.info?.adapter?.device).toMatch(/llvmpipe/);
    expect(b.backends.find((x) => x.name === 'native')!.loads).toBe(true);
    expect(b.auto.name).not.toBe('webgpu');

    // the LoRA trial on bert-tiny: same losses on webgpu and native, within the parity bound
    const recs = readFileSync(join(out, 'trials.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Rec);
    expect(recs.map((x) => [x.backend, x.status])).toEqual([
      ['native', 'ok'],
      ['webgpu', 'ok'],
    ]);
    expect(recs[0]!.trialId).not.toBe(recs[1]!.trialId);
    for (const rec of recs) {
      expect(rec.curve.map((p) => p.step)).toEqual([4, 8, 12]);
      // 45 supersenses: the first losses sit near ln(45) = 3.81
      expect(Math.abs(rec.curve[0]!.trainLoss - Math.log(45))).toBeLessThan(0.5);
    }
    expect(recs[1]!.deviceMemory?.absent).toMatch(/libnvidia-ml\.so\.1/);
    const c = s.trials.comparison;
    if (!c.compared) throw new Error(c.reason);
    expect(c.points).toHaveLength(3);
    expect(c.maxRelDiff).toBeLessThan(PARITY_REL);
    expect(c.withinParity).toBe(true);

    // perf: every method on webgpu; the cell: NVML absent here, said so
    const perf = JSON.parse(readFileSync(join(out, 'perf.json'), 'utf8')) as {
      backend: string;
      model: string;
      method: string;
      tokensPerSec: number;
      peakBytes: number;
    }[];
    expect(perf.map((x) => [x.backend, x.model, x.method])).toEqual(
      ['full', 'lora r8', 'ptuning-v2 p16', 'freeze last'].map((m) => ['webgpu', 'L2 d64 seq32', m]),
    );
    for (const row of perf) {
      expect(row.tokensPerSec).toBeGreaterThan(0);
      expect(row.peakBytes).toBeGreaterThan(0);
    }
    const cell = JSON.parse(readFileSync(join(out, 'cells.jsonl'), 'utf8').trim()) as {
      method: string;
      backend: string;
      msPerStep: number;
      deviceMemory: { absent?: string };
    };
    expect(cell).toMatchObject({ method: 'lora r8', backend: 'webgpu' });
    expect(cell.msPerStep).toBeGreaterThan(0);
    expect(cell.deviceMemory.absent).toMatch(/libnvidia-ml\.so\.1/);
    const md = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(md).toMatch(/within the repo's webgpu-vs-CPU bound/);
    expect(md).toMatch(/\| lora r8 \| [\d,.]+ \| [\d,]+ \|/);
  }, 300_000);

  it('bad input: a missing pack, node tarball or output folder is one line and a non-zero exit', () => {
    const noPack = sh('bash', ['tools/gpu-check/run.sh', '--out', join(dir, 'x'), '--pack', join(dir, 'nothing')]);
    expect(noPack.code).toBe(2);
    expect(noPack.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^gpu-check: .*nothing is missing: build it with 'node tools\/gpu-check\/pack\.mjs'/),
    ]);
    const noOut = sh('bash', ['tools/gpu-check/run.sh'], { OUT: '' });
    expect(noOut.code).toBe(2);
    expect(noOut.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^gpu-check: no output folder/)]);
    const noTgz = sh(process.execPath, ['tools/gpu-check/pack.mjs', '--node-tgz', join(dir, 'node.tgz'), '--out', join(dir, 'p2')]);
    expect(noTgz.code).toBe(2);
    expect(noTgz.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^gpu-check pack: --node-tgz .*no such file/)]);
  });

  it('the loss comparison fails outside the bound', () => {
    const rec = (losses: number[]) => ({
      curve: losses.map((trainLoss, i) => ({ step: 10 * (i + 1), trainLoss })),
      finalTrainLoss: losses.at(-1)!,
      steps: 10 * losses.length,
    });
    const same = compareTrials(rec([3.8, 3.5, 3.1]), rec([3.8, 3.5 * (1 + 5e-5), 3.1]));
    expect(same).toMatchObject({ compared: true, withinParity: true, withinVerify: true, learnt: true });
    const off = compareTrials(rec([3.8, 3.5, 3.1]), rec([3.8, 3.5 * (1 + 3e-4), 3.1]));
    expect(off).toMatchObject({ compared: true, withinParity: false, withinVerify: true });
    expect(compareTrials(rec([3.8, 3.5]), rec([3.8, 3.6]))).toMatchObject({ withinParity: false, withinVerify: false });
    expect(compareTrials(rec([3.8, NaN]), rec([3.8, NaN]))).toMatchObject({ withinParity: false, withinVerify: false });
    expect(compareTrials(undefined, rec([1]))).toEqual({ compared: false, reason: 'no record from native' });
    expect(verifyClose(1, 1.0015)).toBe(true);
    expect(verifyClose(1, 1.003)).toBe(false);
  });
});
