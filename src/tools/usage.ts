/**
 * The usage texts of thin-provisioning-tools 0.9.0, copied from the real binaries' `-h` output so
 * that the lab prints them byte for byte (on stdout for -h, on stderr after a usage error).
 */

export const TOOLS_VERSION = '0.9.0';

export const THIN_CHECK_USAGE = `Usage: thin_check [options] {device|file}
Options:
  {-q|--quiet}
  {-h|--help}
  {-V|--version}
  {-m|--metadata-snap}
  {--auto-repair}
  {--override-mapping-root}
  {--clear-needs-check-flag}
  {--ignore-non-fatal-errors}
  {--skip-mappings}
  {--super-block-only}
`;

export const THIN_DUMP_USAGE = `Usage: thin_dump [options] {device|file}
Options:
  {-h|--help}
  {-f|--format} {xml|human_readable|custom}
  {-r|--repair}
  {-m|--metadata-snap} [block#]
  {-o <xml file>}
  {--dev-id} <dev-id>
  {--skip-mappings}
  {-V|--version}
`;

export const THIN_RESTORE_USAGE = `Usage: thin_restore [options]
Options:
  {-h|--help}
  {-i|--input} <input xml file>
  {-o|--output} <output device or file>
  {--transaction-id} <natural>
  {--data-block-size} <natural>
  {--nr-data-blocks} <natural>
  {-q|--quiet}
  {-V|--version}
`;

export const THIN_REPAIR_USAGE = `Usage: thin_repair [options] {device|file}
Options:
  {-h|--help}
  {-i|--input} <input metadata (binary format)>
  {-o|--output} <output metadata (binary format)>
  {--transaction-id} <natural>
  {--data-block-size} <natural>
  {--nr-data-blocks} <natural>
  {-V|--version}
`;

export const THIN_LS_USAGE = `Usage: thin_ls [options] {metadata device}
Options:
  {-h|--help}
  {-m|--metadata-snap}
  {--no-headers}
  {-o|--format <fields>}
  {-V|--version}

where <fields> is a comma separated list from:
  DEV
  MAPPED_BLOCKS
  EXCLUSIVE_BLOCKS
  SHARED_BLOCKS
  MAPPED_SECTORS
  EXCLUSIVE_SECTORS
  SHARED_SECTORS
  MAPPED_BYTES
  EXCLUSIVE_BYTES
  SHARED_BYTES
  MAPPED
  EXCLUSIVE
  SHARED
  TRANSACTION
  CREATE_TIME
  SNAP_TIME
`;

export const THIN_DELTA_USAGE = `Usage: thin_delta [options] <device or file>
Options:
  {--thin1, --snap1}
  {--thin2, --snap2}
  {-m, --metadata-snap} [block#]
  {--verbose}
  {-h|--help}
  {-V|--version}
`;

export const THIN_RMAP_USAGE = `Usage: thin_rmap [options] {device|file}
Options:
  {-h|--help}
  {-V|--version}
  {--region <block range>}*
Where:
  <block range> is of the form <begin>..<one-past-the-end>
  for example 5..45 denotes blocks 5 to 44 inclusive, but not block 45
`;

export const THIN_TRIM_USAGE = `Usage: thin_trim [options] --metadata-dev {device|file} --data-dev {device|file}
Options:
  {-h|--help}
  {-V|--version}
`;
