import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../src/report/write.js';
import { v2Records } from './report-v2-records.js';

/**
 * report.html in a real headless Chromium (the Debian package; .ci/run installs it). A missing
 * browser fails the test; only TUNELAB_SKIP_BROWSER=1, set on purpose, skips it.
 */
const CHROMIUM = process.env.TUNELAB_CHROMIUM ?? '/usr/bin/chromium';
const skip = process.env.TUNELAB_SKIP_BROWSER === '1';
const FIXTURE_DIR = new URL('./fixtures/report/', import.meta.url).pathname;

describe.skipIf(skip)('report.html in headless Chromium', () => {
  const root = mkdtempSync(join(tmpdir(), 'tunelab-report-e2e-'));
  const out = join(root, 'report');
  const outV2 = join(root, 'report-v2');
  let browser: BrowserContext | undefined;

  beforeAll(async () => {
    await writeReport({ inputs: [FIXTURE_DIR], out, warn: () => {} });
    // format-2 records (curves, selected points, a pruned rate): the learning-curve charts
    const v2 = join(root, 'v2');
    mkdirSync(v2);
    writeFileSync(
      join(v2, 'results.jsonl'),
      v2Records()
        .map((r) => `${JSON.stringify(r)}\n`)
        .join(''),
    );
    await writeReport({ inputs: [v2], out: outV2, warn: () => {} });
    if (!existsSync(CHROMIUM)) return; // the test fails on it below, by name
    // a fresh profile folder each run (Playwright passes it to Chromium as --user-data-dir)
    browser = await chromium.launchPersistentContext(mkdtempSync(join(root, 'profile-')), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('renders every chart with marks, one main-table row per method variant, and nothing from the network', async () => {
    expect(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: apt-get install -y chromium (or set TUNELAB_SKIP_BROWSER=1 to skip this test on purpose)`,
    ).toBe(true);
    const page = await browser!.newPage();
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(join(out, 'report.html')).href, { waitUntil: 'load' });

    const charts = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return {
          name: f.getAttribute('data-chart'),
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          marks: svg ? svg.querySelectorAll('path, symbol, rect').length : 0,
        };
      }),
    );
    expect(charts.map((c) => c.name).sort()).toEqual([
      'chart-memory-wn-supersense.svg',
      'chart-memory-wn-truecase.svg',
      'chart-pareto-memory-wn-supersense.svg',
      'chart-pareto-memory-wn-truecase.svg',
      'chart-pareto-share-wn-supersense.svg',
      'chart-pareto-share-wn-truecase.svg',
      'chart-share-wn-supersense.svg',
      'chart-share-wn-truecase.svg',
      'chart-size-wn-supersense.svg',
      'chart-size-wn-truecase.svg',
    ]);
    for (const c of charts) {
      expect(c.width, c.name!).toBeGreaterThan(200);
      expect(c.height, c.name!).toBeGreaterThan(150);
      expect(c.marks, c.name!).toBeGreaterThan(20);
    }
    // (a) one mark per trial: 36 trials per task, plus a mean and an error bar per setting
    const trialMarks = await page.$$eval(
      'figure[data-chart="chart-share-wn-supersense.svg"] svg .mark-symbol.role-mark path',
      (ps) => ps.length,
    );
    expect(trialMarks).toBe(36 + 12);
    // (c) a stacked bar per (variant, size, component): 5 variants x 2 sizes x 4 parts
    const bars = await page.$$eval('figure[data-chart="chart-memory-wn-supersense.svg"] svg .mark-rect.role-mark path', (ps) => ps.length);
    expect(bars).toBe(5 * 2 * 4);

    const tables = await page.$$eval('section.task', (ss) =>
      ss.map((s) => ({
        task: s.getAttribute('data-task'),
        variants: Number(s.getAttribute('data-variants')),
        rows: s.querySelectorAll('table.main-table tbody tr').length,
        bold: s.querySelectorAll('table.main-table tbody strong').length,
      })),
    );
    expect(tables).toEqual([
      { task: 'wn-supersense', variants: 5, rows: 5, bold: 2 },
      { task: 'wn-truecase', variants: 5, rows: 5, bold: expect.any(Number) },
    ]);
    const labels = await page.$$eval('section[data-task="wn-supersense"] table.main-table tbody tr td:first-child', (tds) =>
      tds.map((td) => td.textContent),
    );
    expect(new Set(labels)).toEqual(new Set(['sft', 'lora', 'freeze', 'ptuning-v2 (mode=deep)', 'ptuning-v2 (mode=shallow)']));
    expect(await page.locator('#claims li.claim').count()).toBe(10); // seven claims of the seed's methods (LoRA against full fine-tuning the seventh), the two memory claims at 7B/175B, and whether a stack beats its parts

    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    const shot = join(out, 'screenshot.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(50_000);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).not.toMatch(/https?:\/\/|@import/); // not even a namespace URL
    await page.close();
  });

  it("draws learning curves (a band and a mean line per method, a dot per seed's selected point) and the Pareto frontier", async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing`).toBe(true);
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(join(outV2, 'report.html')).href, { waitUntil: 'load' });
    const count = (chart: string, selector: string) => page.$$eval(`figure[data-chart="${chart}"] svg ${selector}`, (ps) => ps.length);
    for (const chart of ['chart-curve-step.svg', 'chart-curve-time.svg']) {
      // sft and lora on one size: two bands, two mean lines, 3 + 3 selected points
      expect(await count(chart, '.mark-area.role-mark path'), chart).toBe(2);
      expect(await count(chart, '.mark-line.role-mark path'), chart).toBe(2);
      expect(await count(chart, '.mark-symbol.role-mark path'), chart).toBe(6);
      const box = await page.$eval(
        `figure[data-chart="${chart}"] svg`,
        (svg) => svg.getBoundingClientRect().toJSON() as { width: number; height: number },
      );
      expect(box.width).toBeGreaterThan(200);
      expect(box.height).toBeGreaterThan(150);
    }
    // both cells are on the frontier: one joining line, two filled points, no hollow one
    expect(await count('chart-pareto-share.svg', '.mark-line.role-mark path')).toBe(1);
    expect(await count('chart-pareto-share.svg', '.mark-symbol.role-mark path')).toBe(2);
    expect(await page.locator('table#time-wn-supersense tbody tr').count()).toBe(2);
    expect(await page.locator('table#bytes-wn-supersense tbody tr').count()).toBe(2);
    expect(await page.locator('table#pruning-wn-supersense tbody tr').count()).toBe(2);
    expect(await page.locator('#claims li.protocol').count()).toBe(10);
    expect(errors).toEqual([]);
    await page.close();
  });
});
