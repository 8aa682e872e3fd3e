import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The daily loop (`npm run test:fast`): unit tests, the kernel and LVM transcripts, scenarios and
 * the lab's registry, without the suites that spend minutes on CLI processes, thousands of damaged
 * images, the real thin-provisioning-tools, a browser, determinism reruns or property campaigns.
 * `npm test` runs everything.
 */
export const SLOW_SUITES = [
  'property-tests/**',
  'test/metadata-damage.test.ts',
  'test/damage-images.test.ts',
  'test/cli.test.ts',
  'test/cli-bundles.test.ts',
  'test/docker-demo.test.ts',
  'test/guide-incident.test.ts',
  'test/incident-tools.test.ts',
  'test/interop.test.ts',
  'test/tool-command.test.ts',
  'src/tools/thin-tools-1x.test.ts',
  // thin_restore and thin_repair 0.9.0 byte for byte on a generated sweep (about a minute).
  'src/tools/restore-layout-0.test.ts',
  'test/thin-tools-1x-verbose.test.ts',
  'test/metadata-damage-1x.test.ts',
  'test/tool-docs.test.ts',
  'test/metadata-estimate.test.ts',
  'test/store-processes.test.ts',
  'test/determinism.test.ts',
  'test/reliability.test.ts',
  'test/export.test.ts',
  'test/conform.test.ts',
  'test/ui-*.test.ts',
  'src/format/real-tools.test.ts',
  'src/scenarios/cli.test.ts',
  'src/store/kurrentdb/**',
];

/**
 * Suites that take a slice of their cases here (every Nth, the same on each run; test/slice.ts)
 * and all of them in `npm test`: test/history.test.ts (each kernel fixture and scenario replayed
 * through the store), src/scenarios/run.test.ts (each scenario run and replayed), thin_metadata_size's
 * grid, every table of lines src/tools/thin-tools.test.ts compares with the real 0.9.0, session 9's
 * and 10's campaign regressions (test/reliability-regressions.test.ts, beyond its image cases); and
 * the slowest single cases (metadata-layout's probes 100 and 171, repair-scan-1x's stack overflow
 * at 15,000 and 30,000 levels, the checks of the campaign regressions' and clap-1x's recordings
 * against the real tools) run only in `npm test`.
 */
const SLICE_EVERY = '3';

export default mergeConfig(
  base,
  defineConfig({ test: { exclude: SLOW_SUITES, env: { THINLAB_TEST_SLICE: SLICE_EVERY } } }),
);
