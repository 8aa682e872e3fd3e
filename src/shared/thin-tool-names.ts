/**
 * The names thin-provisioning-tools answers to, per release, in one leaf module: the CLI chooses a
 * command by them without loading any tool, the host's package lists its programs by them, and the
 * tests of the real tools run them. src/tools/index.ts holds its implementations to these lists
 * (test/cli-commands.test.ts).
 */

/** 0.9.0's tools (Debian 12), each a link to pdata_tools; 1.1.0 has them too. */
export const THIN_TOOLS_090 = [
  'thin_check',
  'thin_dump',
  'thin_restore',
  'thin_repair',
  'thin_ls',
  'thin_delta',
  'thin_rmap',
  'thin_trim',
  'thin_metadata_size',
] as const;

/** The names only 1.1.0's package links (Debian 13): its new tools, then the cache and era tools. */
export const THIN_TOOLS_1X_ONLY = [
  'thin_metadata_pack',
  'thin_metadata_unpack',
  'thin_migrate',
  'cache_check',
  'cache_dump',
  'cache_metadata_size',
  'cache_repair',
  'cache_restore',
  'cache_writeback',
  'era_check',
  'era_dump',
  'era_invalidate',
  'era_restore',
] as const;
