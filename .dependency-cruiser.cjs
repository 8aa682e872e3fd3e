/**
 * The layer rules of docs/architecture.md, checked on every `npm test` (`npm run lint:deps`).
 * Each rule names a folder and the folders it must not import; a lower layer importing a higher
 * one fails the build. Tests may import anything (they are not part of the layering).
 */
const layer = (name, from, notTo, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from, pathNot: '\\.test\\.ts$|test-support\\.ts$' },
  to: { path: notTo },
});

const HIGHER_THAN_PURE_CORE =
  '^src/(events|lifecycle|shell|lab|tools|faults|lvm|docker|containerd|replay|store|scenarios|conform|cli|ui)/';

module.exports = {
  forbidden: [
    layer('shared-is-a-leaf', '^src/shared/', '^src/(?!shared/)', 'src/shared holds leaf helpers and imports nothing else from src.'),
    layer('model-is-pure', '^src/(model|format)/', HIGHER_THAN_PURE_CORE, 'The model and the on-disk format are the pure core.'),
    {
      name: 'model-has-no-io',
      comment: 'The model and the format do no I/O, keep no clock and know nothing of xstate.',
      severity: 'error',
      from: { path: '^src/(model|format)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^node:|^(fs|path|os|crypto|child_process|v8|url)$|node_modules/(xstate|better-sqlite3|@kurrent)/' },
    },
    layer('events-above-model', '^src/events/', '^src/(?!events/|model/|shared/)', 'Events name model facts only.'),
    layer('lifecycle-above-events', '^src/lifecycle/', '^src/(?!lifecycle/|events/|model/|shared/)', 'The lifecycle machines read model facts and events only.'),
    layer('shell-is-the-language', '^src/shell/', '^src/(?!shell/|shared/|model/)', 'The ash language reaches the lab only through its Host port (model types for the clock and I/O waits).'),
    layer(
      'domains-below-the-lab-root',
      '^src/(tools|faults|lvm|docker|containerd)/',
      '^src/(lab/(lab|lab-shell|registry|commands)\\.ts|lab/commands/|replay|store|scenarios|conform|cli|ui)',
      'The command domains register into the lab; they never import the composition root or anything above it.',
    ),
    layer('lab-below-replay', '^src/lab/', '^src/(replay|store|scenarios|conform|cli|ui)/', 'The lab is folded by replay, never the other way round.'),
    layer('conform-below-cli', '^src/conform/', '^src/(replay|store|scenarios|cli|ui)/', 'thinlab conform runs a lab and a VM; only the CLI reads its options and environment.'),
    {
      name: 'conform-comparison-is-pure',
      comment: "conform's comparison, report, masks, cpio writer and init script are pure; the VM adapter is apart.",
      severity: 'error',
      from: { path: '^src/conform/(compare|report|transcript-mask|cpio|vm-init|vm-stacks)\\.ts$' },
      to: { path: '^node:|^(fs|path|os|crypto|child_process|zlib)$|^src/conform/(vm-image|vm-run|vm-packages|host-tools|host-run|conform|lab-run)\\.ts$' },
    },
    layer('store-is-a-port', '^src/store/', '^src/(?!store/|shared/|events/)', 'The store knows events, nothing of the lab.'),
    layer('replay-below-scenarios', '^src/replay/', '^src/(scenarios|cli|ui)/', 'Replay is used by scenarios and the CLI.'),
    layer('scenarios-below-cli', '^src/scenarios/', '^src/(cli|ui)/', 'Only the CLI reads files, argv and the environment.'),
    layer('ui-beside-cli', '^src/ui/', '^src/cli/', 'The UI is started by the CLI and never imports it.'),
    {
      name: 'no-circular-folders',
      comment: 'No module cycle across folders (model <-> format aside: the two halves of the pure core).',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { circular: true, pathNot: '^src/(model|format)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
