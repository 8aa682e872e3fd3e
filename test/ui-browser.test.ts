/**
 * `thinlab ui` in a real browser: Debian's Chromium (installed by .ci/run with apt) driven by
 * playwright-core, on the recorded Docker demo. Every claim is checked against the CLI on the same
 * database (`thinlab at`, `diff`, `branches`), and each view's screenshot is written under
 * test-output/ui/ and checked for content.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runThinlab } from './thinlab-process.js';
import { type DemoDb, pngColourCount, type RunningUi, recordDemo, startUi } from './ui-support.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-output', 'ui');

let db: DemoDb;
let ui: RunningUi;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  mkdirSync(SHOTS, { recursive: true });
  db = recordDemo('thinlab-ui-browser-');
  ui = await startUi(db);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  page.on('pageerror', (e) => {
    throw e;
  });
});

afterAll(async () => {
  await browser?.close();
  await ui?.stop();
  if (db !== undefined) rmSync(db.dir, { recursive: true, force: true });
});

const thinlab = (...args: string[]): string => {
  const r = runThinlab([...args, '--db', db.db], db.dir);
  if (r.status !== 0) throw new Error(`thinlab ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

/** `thinlab at POS`: the devices' table and status lines and the pool's data usage. */
function atLines(position: number): { lines: string[]; dataUsed: number; thinDevices: string[] } {
  const out = thinlab('at', String(position), '--branch', 'docker-demo').split('\n');
  const lines = out.filter((l) => /^ {2}(table|status): /.test(l));
  const poolStatus = out.find((l) => / thin-pool [0-9]+ [0-9]+\/[0-9]+ /.test(l))!;
  const dataUsed = Number(/ thin-pool [0-9]+ [0-9]+\/[0-9]+ ([0-9]+)\//.exec(poolStatus)![1]);
  const thinDevices = out.flatMap((l, i) =>
    /^ {2}table: +0 [0-9]+ thin /.test(out[i + 1] ?? '') ? [l.split(' ')[0]!] : [],
  );
  return { lines, dataUsed, thinDevices };
}

async function shoot(selector: string, name: string): Promise<void> {
  const png = await page.locator(selector).screenshot({ path: join(SHOTS, `${name}.png`) });
  expect(pngColourCount(png), name).toBeGreaterThan(20);
}

async function moveSliderTo(position: number): Promise<void> {
  await page.locator('#slider').fill(String(position));
  await page.locator('#at-title', { hasText: new RegExp(`^docker-demo@${position} `) }).waitFor();
}

describe('thinlab ui in Chromium', () => {
  it("plots the demo's fill and the band where the pool was out of data space", async () => {
    await page.goto(`${ui.url}?branch=docker-demo`);
    await page.waitForSelector('body[data-ready="1"]');
    const band = page.locator('svg.usage rect.band[data-mode="out_of_data_space"]');
    await expect(band.count()).resolves.toBe(1);
    const from = Number(await band.getAttribute('data-from'));
    const to = Number(await band.getAttribute('data-to'));
    // The CLI agrees: the pool is out of space from `from` to `to`, and writable just before and after.
    const status = thinlab('at', String(from), '--branch', 'docker-demo');
    expect(status).toContain(' out_of_data_space ');
    expect(thinlab('at', String(from - 1), '--branch', 'docker-demo')).not.toContain(' out_of_data_space ');
    expect(thinlab('at', String(to + 1), '--branch', 'docker-demo')).not.toContain(' out_of_data_space ');
    const [used, total] = / thin-pool [0-9]+ [0-9]+\/[0-9]+ ([0-9]+)\/([0-9]+) /.exec(status)!.slice(1).map(Number);
    expect(Number(await page.locator('svg.usage path.data').getAttribute('data-max'))).toBeCloseTo(
      (used! * 100) / total!,
      6,
    );
    await expect(page.locator('svg.usage .marker-snapshot').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('svg.usage .marker-delete').count()).resolves.toBeGreaterThan(0);
    await shoot('#usage-section', 'usage');
  });

  it('moves with the slider, showing the device tree and block map as `thinlab at` says', async () => {
    const seen: string[] = [];
    for (const position of [12, 20]) {
      await moveSliderTo(position);
      expect(new URL(page.url()).searchParams.get('pos')).toBe(String(position));
      const at = atLines(position);
      const tables = (await page.locator('#tables').textContent())!
        .split('\n')
        .filter((l) => /^ {2}(table|status): /.test(l));
      expect(tables).toEqual(at.lines);
      const canvas = page.locator('canvas.blockmap');
      expect(Number(await canvas.getAttribute('data-used'))).toBe(at.dataUsed);
      const active = await page
        .locator('tr.thin td[title]')
        .evaluateAll((tds) => tds.map((td) => td.getAttribute('title')).filter((t) => t !== ''));
      expect(active.sort()).toEqual(at.thinDevices.sort());
      seen.push(`${await canvas.getAttribute('data-used')} ${await page.locator('tr.thin').count()}`);
    }
    expect(seen[0]).not.toBe(seen[1]);
    // The page's own keys, with the focus off the slider (which steps by itself).
    await page.locator('#at-title').click();
    await page.keyboard.press('ArrowLeft');
    await page.locator('#at-title', { hasText: /^docker-demo@19 / }).waitFor();
    await moveSliderTo(20);
  });

  it("highlights a snapshot's exclusive and shared blocks when it is clicked", async () => {
    // app1's read-write layer: its thin id as the page's Docker view gives it, a snapshot of its init layer.
    const app1 = page.locator('#docker-view tr', { has: page.locator('td', { hasText: /^app1$/ }) });
    const id = await app1.locator('td').last().textContent();
    const row = page.locator(`tr.thin[data-thin="${id}"]`);
    expect(await row.textContent()).toContain(`${id}: container app1`);
    expect(await row.getAttribute('title')).toMatch(/^snapshot of [0-9]+ \(by docker\)$/);
    const exclusive = Number(await row.locator('td.exclusive').textContent());
    const shared = Number(await row.locator('td.shared').textContent());
    expect(exclusive).toBeGreaterThan(0);
    expect(shared).toBeGreaterThan(0);
    await row.click();
    await expect(row.getAttribute('class')).resolves.toContain('selected');
    const canvas = page.locator('canvas.blockmap');
    expect(Number(await canvas.getAttribute('data-highlight-exclusive'))).toBe(exclusive);
    expect(Number(await canvas.getAttribute('data-highlight-shared'))).toBe(shared);
    await shoot('#at-section', 'at-position');
  });

  it('shows what changed between two positions as `thinlab diff` does, with the changed blocks', async () => {
    await page.locator('#diff-a').fill('docker-demo@19');
    await page.locator('#diff-b').fill('docker-demo@20');
    await page.locator('#diff-run').click();
    await page.locator('#diff-text', { hasText: /^--- docker-demo@19\n/ }).waitFor();
    expect(await page.locator('#diff-text').textContent()).toBe(thinlab('diff', 'docker-demo@19', 'docker-demo@20'));
    expect(Number(await page.locator('canvas.blockmap').getAttribute('data-changed'))).toBeGreaterThan(0);
    await shoot('#diff-section', 'diff');
  });

  it('"branch here" makes a branch that `thinlab branches` lists', async () => {
    await moveSliderTo(19);
    await page.locator('#branch-name').fill('ui-fix');
    await page.locator('#branch-here').click();
    await page.locator('#action-result', { hasText: /^branch ui-fix / }).waitFor();
    expect(thinlab('branches')).toMatch(/^\* ui-fix +19 events {2}debian12 {2}from docker-demo@19$/m);
    await page.waitForSelector('#branch-tree a.selected[data-branch="ui-fix"]');
    expect(new URL(page.url()).searchParams.get('branch')).toBe('ui-fix');
    await shoot('#history-section', 'history');
    await page.screenshot({ path: join(SHOTS, 'page.png'), fullPage: true });
  });

  it('opens at the first bad position a bisect prints, by its command and by its page path', async () => {
    const out = thinlab('bisect', '--branch', 'docker-demo', '--invariant', 'writable', '22');
    const bad = Number(/^first bad position ([0-9]+):/m.exec(out)![1]);
    const link = /^open in the ui: thinlab ui --branch docker-demo --at ([0-9]+) --db \S+ {2}\(page (\/\?\S+)\)$/m.exec(
      out,
    )!;
    expect(Number(link[1])).toBe(bad);
    // The command it prints, run as printed, prints the address of the page there.
    const linked = await startUi(db, { args: ['--branch', 'docker-demo', '--at', link[1]!] });
    try {
      expect(linked.address).toBe(`${linked.url}${link[2]!.slice(1)}`);
      await page.goto(linked.address);
      await page.waitForSelector('body[data-ready="1"]');
      await page.locator('#at-title', { hasText: new RegExp(`^docker-demo@${bad} `) }).waitFor();
      expect(await page.locator('#slider').inputValue()).toBe(String(bad));
      expect(await page.locator('#message').textContent()).toBe('');
      // The first bad position is where the pool left write mode: the page shows the mode there.
      expect(thinlab('at', String(bad), '--branch', 'docker-demo')).toContain(' out_of_data_space ');
      expect(await page.locator('#at-section').textContent()).toContain('out_of_data_space');
      await shoot('#at-section', 'opened-at-bisect');
    } finally {
      await linked.stop();
    }
    // A link naming what is not there says so, rather than showing something else quietly.
    await page.goto(`${ui.url}?branch=nope&pos=3`);
    await page.waitForSelector('body[data-ready="1"]');
    expect(await page.locator('#message').textContent()).toMatch(/^no branch 'nope' in this database: showing /);
    await page.goto(`${ui.url}?branch=docker-demo&pos=999`);
    await page.waitForSelector('body[data-ready="1"]');
    expect(await page.locator('#message').textContent()).toBe(
      "position '999' is outside docker-demo (0..32): showing its end",
    );
  });
});
