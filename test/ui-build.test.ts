/**
 * `npx thinlab ui` runs the esbuild bundle that `npm ci` builds (dist/bundle), where modules no
 * longer sit beside their files: the page's assets must still be found (they are read from the
 * package root). The other UI tests run the sources; this one runs the build, and is skipped only
 * in a checkout where nothing was built (`npm ci` and CI always build).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './thinlab-process.js';
import { rawRequest, recordDemo, type RunningUi, startUi } from './ui-support.js';

const BUILT = existsSync(join(ROOT, 'dist', 'bundle', 'main.cjs'));

describe.skipIf(!BUILT)('thinlab ui from the compiled bundle', () => {
  let ui: RunningUi | undefined;
  afterAll(async () => ui?.stop());

  it('serves the page and its assets', async () => {
    ui = await startUi(recordDemo('thinlab-ui-build-'), { fromBuild: true });
    const page = await rawRequest(ui.port, { path: '/' });
    expect(page.status).toBe(200);
    expect(page.body).toContain('/assets/app.js');
    const script = await rawRequest(ui.port, { path: '/assets/app.js' });
    expect(script.status).toBe(200);
    expect(script.body.length).toBeGreaterThan(1000);
  });
});
