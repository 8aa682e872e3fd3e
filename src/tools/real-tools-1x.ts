/**
 * Where the tests find the real thin-provisioning-tools 1.1.0 (Debian 13's package, unpacked, never
 * installed): `THINLAB_TPT1X_DIR`, else the cache `scripts/fetch-tpt-1x.sh` fills, else the
 * oracle's Debian 13 sysroot. Each is a root with `usr/sbin/pdata_tools` and the libraries it
 * loads under `usr/lib/x86_64-linux-gnu` (Debian 13's glibc, which a Debian 12 host lacks), so the
 * binary runs through that root's own ld-linux. The tests run the tools by their names from a
 * directory of small wrappers put first on PATH.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { THIN_TOOLS_090, THIN_TOOLS_1X_ONLY } from '../shared/thin-tool-names.js';

/** The names 1.1.0's package links to pdata_tools (Debian 13's /usr/sbin). */
export const TOOLS_1X = [...THIN_TOOLS_090, ...THIN_TOOLS_1X_ONLY] as const;

/** The roots looked in, in order. */
export function candidateRoots1x(): string[] {
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return [
    ...(process.env.THINLAB_TPT1X_DIR === undefined ? [] : [process.env.THINLAB_TPT1X_DIR]),
    join(cache, 'thinlab', 'tpt-1.1.0'),
    '/var/cache/kernel-dm-thin/debian13/sysroot',
  ];
}

export type RealTools1x = { readonly binDir: string } | { readonly missing: string };

/** A directory of wrappers that run the real 1.1.0 tools by name, or why there is none. */
export function findRealTools1x(): RealTools1x {
  for (const root of candidateRoots1x()) {
    const pdata = join(root, 'usr/sbin/pdata_tools');
    const libs = join(root, 'usr/lib/x86_64-linux-gnu');
    const ld = join(libs, 'ld-linux-x86-64.so.2');
    if (!existsSync(pdata) || !existsSync(ld)) continue;
    const binDir = mkdtempSync(join(tmpdir(), 'thinlab-tpt1x-'));
    for (const name of TOOLS_1X) {
      const wrapper = join(binDir, name);
      writeFileSync(wrapper, `#!/bin/sh\nexec '${ld}' --library-path '${libs}' --argv0 ${name} '${pdata}' "$@"\n`);
      chmodSync(wrapper, 0o755);
    }
    const version = spawnSync(join(binDir, 'thin_check'), ['-V'], { encoding: 'utf8' }).stdout;
    if (version === '1.1.0\n') return { binDir };
    return { missing: `${pdata} says it is version ${JSON.stringify(version)}, not 1.1.0` };
  }
  return {
    missing: `no thin-provisioning-tools 1.1.0 in ${candidateRoots1x().join(', ')} (run scripts/fetch-tpt-1x.sh)`,
  };
}
