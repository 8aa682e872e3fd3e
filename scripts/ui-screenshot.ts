/**
 * Makes the README's screenshot, docs/images/ui.png: `thinlab demo` into a new database, `thinlab
 * ui` on it, Debian's Chromium at docker-demo@20 (the write that ran the pool out of space).
 * Run with `node --import tsx scripts/ui-screenshot.ts` after changing the page.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT } from '../test/thinlab-process.js';
import { recordDemo, startUi } from '../test/ui-support.js';

const db = recordDemo('thinlab-ui-screenshot-');
const ui = await startUi(db);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1050 } });
  await page.goto(`${ui.url}?branch=docker-demo&pos=20`);
  await page.waitForSelector('body[data-ready="1"]');
  await page.locator('#at-title', { hasText: /^docker-demo@20 / }).waitFor();
  await page.screenshot({ path: join(ROOT, 'docs', 'images', 'ui.png') });
} finally {
  await browser.close();
  await ui.stop();
  rmSync(db.dir, { recursive: true, force: true });
}
