/**
 * The help texts of thin-provisioning-tools 1.1.0 (clap), copied from the real binaries' `-h` so
 * that the lab prints them byte for byte on the debian13 stack.
 */

export const THIN_CHECK_HELP_1X = `Validates thin provisioning metadata on a device or file.

Usage: thin_check [OPTIONS] <INPUT>

Arguments:
  <INPUT>  Specify the input device to check

Options:
      --auto-repair                      Auto repair trivial issues.
      --clear-needs-check-flag           Clears the 'needs_check' flag in the superblock
  -h, --help                             Print help
      --ignore-non-fatal-errors          Only return a non-zero exit code if a fatal error is found.
  -m, --metadata-snap                    Check the metadata snapshot on a live pool
      --override-details-root <BLOCKNR>  Specify a details root to use
      --override-mapping-root <BLOCKNR>  Specify a mapping root to use
  -q, --quiet                            Suppress output messages, return only exit code.
      --skip-mappings                    Don't check the mapping tree
      --super-block-only                 Only check the superblock.
  -V, --version                          Print version
`;

export const THIN_DUMP_HELP_1X = `Dump thin-provisioning metadata to stdout in XML format

Usage: thin_dump [OPTIONS] <INPUT>

Arguments:
  <INPUT>  Specify the input device to dump

Options:
      --data-block-size <SECTORS>  Provide the data block size for repairing
      --dev-id <THIN_ID>           Dump the specified device
  -f, --format <TYPE>              Choose the output format
  -h, --help                       Print help
  -m, --metadata-snap[=<BLOCKNR>]  Access the metadata snapshot on a live pool
      --nr-data-blocks <NUM>       Override the number of data blocks if needed
  -o, --output <FILE>              Specify the output file rather than stdout
  -q, --quiet                      Suppress output messages, return only exit code.
  -r, --repair                     Repair the metadata whilst dumping it
      --skip-mappings              Do not dump the mappings
      --transaction-id <NUM>       Override the transaction id if needed
  -V, --version                    Print version
`;

export const THIN_RESTORE_HELP_1X = `Convert XML format metadata to binary.

Usage: thin_restore [OPTIONS] --input <FILE> --output <FILE>

Options:
      --data-block-size <SECTORS>  Override the data block size if needed
  -h, --help                       Print help
  -i, --input <FILE>               Specify the input xml
      --nr-data-blocks <NUM>       Override the number of data blocks if needed
  -o, --output <FILE>              Specify the output device
  -q, --quiet                      Suppress output messages, return only exit code.
      --transaction-id <NUM>       Override the transaction id if needed
  -V, --version                    Print version
`;

export const THIN_REPAIR_HELP_1X = `Repair thin-provisioning metadata, and write it to different device or file

Usage: thin_repair [OPTIONS] --input <FILE> --output <FILE>

Options:
      --data-block-size <SECTORS>  Provide the data block size for repairing
  -h, --help                       Print help
  -i, --input <FILE>               Specify the input device
      --nr-data-blocks <NUM>       Override the number of data blocks if needed
  -o, --output <FILE>              Specify the output device
  -q, --quiet                      Suppress output messages, return only exit code.
      --transaction-id <NUM>       Override the transaction id if needed
  -V, --version                    Print version
`;

export const THIN_LS_HELP_1X = `List thin volumes within a pool

Usage: thin_ls [OPTIONS] <INPUT>

Arguments:
  <INPUT>  Specify the input device

Options:
  -h, --help             Print help
  -m, --metadata-snap    Use metadata snapshot
      --no-headers       Don't output headers
  -o, --format <FIELDS>  Give a comma separated list of fields to be output
  -V, --version          Print version
`;

export const THIN_DELTA_HELP_1X = `Print the differences in the mappings between two thin devices

Usage: thin_delta [OPTIONS] <INPUT>

Arguments:
  <INPUT>  Specify the input device

Options:
  -h, --help             Print help
  -m, --metadata-snap    Use metadata snapshot
      --root1 <BLOCKNR>  The root block for the first thin volume to diff
      --root2 <BLOCKNR>  The root block for the second thin volume to diff
      --thin1 <DEV_ID>   The numeric identifier for the first thin volume to diff [aliases: snap1]
      --thin2 <DEV_ID>   The numeric identifier for the second thin volume to diff [aliases: snap2]
  -V, --version          Print version
      --verbose          Provide extra information on the mappings
`;

export const THIN_RMAP_HELP_1X = `Output reverse map of a thin provisioned region of blocks

Usage: thin_rmap --region <BLOCK_RANGE> <INPUT>

Arguments:
  <INPUT>  Specify the input device

Options:
  -h, --help                  Print help
      --region <BLOCK_RANGE>  Specify range of blocks on the data device
  -V, --version               Print version
`;

export const THIN_TRIM_HELP_1X = `Issue discard requests for free pool space (offline tool).

Usage: thin_trim [OPTIONS] --metadata-dev <FILE> --data-dev <FILE>

Options:
      --data-dev <FILE>      Specify the pool data device
  -h, --help                 Print help
      --metadata-dev <FILE>  Specify the pool metadata device
  -q, --quiet                Suppress output messages, return only exit code.
  -V, --version              Print version
`;

export const THIN_METADATA_SIZE_HELP_1X = `Estimate the size of the metadata device needed for a given configuration.

Usage: thin_metadata_size [OPTIONS] --block-size <SIZE[bskmg]> --pool-size <SIZE[bskmgtp]> --max-thins <NUM>

Options:
  -b, --block-size <SIZE[bskmg]>   Specify the data block size
  -h, --help                       Print help
  -m, --max-thins <NUM>            Maximum number of thin devices and snapshots
  -n, --numeric-only[=<OPT>]       Output numeric value only
  -s, --pool-size <SIZE[bskmgtp]>  Specify the size of pool device
  -u, --unit <UNIT>                Specify the output unit in {bskKmMgG} [default: sector]
  -V, --version                    Print version
`;

export const THIN_METADATA_PACK_HELP_1X = `Produces a compressed file of thin metadata.  Only packs metadata blocks that are actually used.

Usage: thin_metadata_pack [OPTIONS] --input <DEV> --output <FILE>

Options:
  -f, --force          Force overwrite the output file
  -h, --help           Print help
  -i, --input <DEV>    Specify thinp metadata binary device/file
  -o, --output <FILE>  Specify packed output file
  -V, --version        Print version
`;

export const THIN_METADATA_UNPACK_HELP_1X = `Unpack a compressed file of thin metadata.

Usage: thin_metadata_unpack [OPTIONS] --input <FILE> --output <DEV>

Options:
  -f, --force         Force overwrite the output file
  -h, --help          Print help
  -i, --input <FILE>  Specify packed input file
  -o, --output <DEV>  Specify thinp metadata binary device/file
  -V, --version       Print version
`;

export const THIN_MIGRATE_HELP_1X = `Migrate a thin volume from one pool to another.

Usage: thin_migrate [OPTIONS]

Options:
      --buffer-size-meg <MB>  Specify the size of the copy buffers, in megabytes
      --dest-dev <DEVICE>     Specify the output device
      --dest-file <FILE>      Specify the output file
  -h, --help                  Print help
  -q, --quiet                 Suppress output messages, return only exit code.
      --source-dev <DEVICE>   Specify the input device or file
  -V, --version               Print version
`;

export const CACHE_CHECK_HELP_1X = `Validates cache metadata on a device or file.

Usage: cache_check [OPTIONS] <INPUT>

Arguments:
  <INPUT>  Specify the input device to check

Options:
      --auto-repair              Auto repair trivial issues
      --clear-needs-check-flag   Clears the 'needs_check' flag in the superblock
  -h, --help                     Print help
      --ignore-non-fatal-errors  Only return a non-zero exit code if a fatal error is found.
  -q, --quiet                    Suppress output messages, return only exit code.
      --skip-discards            Don't check the discard bitset
      --skip-hints               Don't check the hint array
      --skip-mappings            Don't check the mapping array
      --super-block-only         Only check the superblock
  -V, --version                  Print version
`;

export const CACHE_DUMP_HELP_1X = `Dump the cache metadata to stdout in XML format

Usage: cache_dump [OPTIONS] <INPUT>

Arguments:
  <INPUT>  Specify the input device to dump

Options:
  -h, --help           Print help
  -o, --output <FILE>  Specify the output file rather than stdout
  -r, --repair         Repair the metadata whilst dumping it
  -V, --version        Print version
`;

export const ERA_CHECK_HELP_1X = `Validate era metadata on device or file.

Usage: era_check [OPTIONS] <INPUT>

Arguments:
  <INPUT>  Specify the input device to check

Options:
  -h, --help                     Print help
      --ignore-non-fatal-errors  Only return a non-zero exit code if a fatal error is found.
  -q, --quiet                    Suppress output messages, return only exit code.
      --super-block-only         Only check the superblock.
  -V, --version                  Print version
`;

export const ERA_DUMP_HELP_1X = `Dump the era metadata to stdout in XML format

Usage: era_dump [OPTIONS] <INPUT>

Arguments:
  <INPUT>  Specify the input device to dump

Options:
  -h, --help           Print help
      --logical        Fold any unprocessed write sets into the final era array
  -o, --output <FILE>  Specify the output file rather than stdout
  -r, --repair         Repair the metadata whilst dumping it
  -V, --version        Print version
`;
