/**
 * Never a silent success: every command the lab registers, every command of the VM it does not,
 * and every documented configuration key (daemon.json and Docker's dm.* options, lvm.conf and LVM
 * profiles, containerd's config.toml) is either modelled, with a test, a scenario or a transcript
 * that exercises it, or refused by name (`thinlab: not modelled: ...`, exit 127 for a command and
 * 2 for an option or a key). A new command or key that nothing exercises fails here.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELLED_DEVMAPPER_KEYS } from '../src/containerd/containerd-commands.js';
import { MODELLED_DIRECTIVES, UNMODELLED_DIRECTIVES } from '../src/docker/daemon.js';
import { DM_OPTION_KEYS, parseDmOptions, UNMODELLED_DM_OPTIONS } from '../src/docker/options.js';
import { COMMANDS, KNOWN_ELSEWHERE } from '../src/lab/commands.js';
import { LabShell } from '../src/lab/lab-shell.js';
import { MODELLED_LVM_SETTINGS, MODELLED_PROFILE_SETTINGS, NO_EFFECT_LVM_SETTINGS } from '../src/lvm/lvm-conf.js';

const ROOT = join(import.meta.dirname, '..');

/** Files that exercise the lab: tests, scenarios, kernel and LVM transcripts, the demo. */
function exercisingFiles(): Array<{ path: string; text: string }> {
  const files: Array<{ path: string; text: string }> = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(ROOT, dir))) {
      const rel = join(dir, name);
      if (statSync(join(ROOT, rel)).isDirectory()) walk(rel);
      else if (/\.(test\.ts|yaml|sh)$/.test(name) && name !== 'not-modelled.test.ts')
        files.push({ path: rel, text: readFileSync(join(ROOT, rel), 'latin1') });
    }
  };
  for (const dir of ['src', 'test', 'scenarios', 'fixtures/kernel', 'fixtures/lvm', 'demo', 'property-tests'])
    walk(dir);
  return files;
}

const FILES = exercisingFiles();

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The files in which `pattern` occurs. */
function usedIn(pattern: RegExp): string[] {
  return FILES.filter((f) => pattern.test(f.text)).map((f) => f.path);
}

/** A command name in command position: at a line's start or after a separator, a quote or `$(`. */
function commandUse(name: string): RegExp {
  return new RegExp(`(^|[;&|({\`'"]|\\$\\()\\s*${escapeRegex(name)}(\\s|$|;|'|")`, 'm');
}

function run(script: string, ramdiskKb = 4096): string {
  const sh = new LabShell({ ramdiskKb });
  let out = '';
  for (const step of sh.steps(script)) out += step.output;
  return out;
}

describe('never a silent success: commands', () => {
  for (const name of COMMANDS.keys()) {
    it(`${name} is exercised by a test, a scenario or a transcript`, () => {
      expect(usedIn(commandUse(name)), `nothing runs ${name}`).not.toEqual([]);
    });
  }

  it('every command of the VM the lab does not run is refused by name with status 127', () => {
    // The shell's own builtins (echo, test, printf ...) run whatever the VM's busybox has.
    // `sh` and `kill` are refused by the shell itself, in its own words.
    const builtins = new Set(['[', '[[', 'echo', 'false', 'printf', 'pwd', 'test', 'true', 'kill', 'sh']);
    const refused = [...KNOWN_ELSEWHERE].filter((name) => !builtins.has(name));
    expect(refused.length).toBeGreaterThan(100);
    for (const name of refused) {
      expect(run(`${name} x; echo rc=$?`), name).toMatch(
        new RegExp(`^thinlab: not modelled: ${escapeRegex(name)} .*\\nrc=127\\n$`),
      );
    }
  });
});

describe('never a silent success: daemon.json and dm.* options', () => {
  for (const key of MODELLED_DIRECTIVES) {
    it(`daemon.json "${key}" is exercised`, () => {
      expect(usedIn(new RegExp(`"${escapeRegex(key)}"`))).not.toEqual([]);
    });
  }
  for (const key of UNMODELLED_DIRECTIVES) {
    it(`daemon.json "${key}" is refused by name`, () => {
      expect(run(`echo '{"${key}": null}' > /etc/docker/daemon.json; dockerd; echo rc=$?`)).toBe(
        `failed to start daemon: thinlab: not modelled: daemon.json directive "${key}"\nrc=1\n`,
      );
    });
  }
  it('a daemon.json key dockerd does not have is dockerd’s own error', () => {
    expect(run(`echo '{"no-such-key": 1}' > /etc/docker/daemon.json; dockerd`)).toBe(
      "failed to start daemon: unable to configure the Docker daemon with file /etc/docker/daemon.json: the following directives don't match any configuration option: no-such-key\n",
    );
  });
  /** A value each refused option parses with, so that the refusal (not a parse error) is what comes back. */
  const VALID: Record<string, string> = {
    'dm.directlvm_device_force': 'true',
    'dm.libdm_log_level': '3',
    'dm.mkfsarg': '-K',
    'dm.mountopt': 'nodiscard',
    'dm.override_udev_sync_check': 'true',
    'dm.xfs_nospace_max_retries': '1',
  };
  for (const key of DM_OPTION_KEYS) {
    if (UNMODELLED_DM_OPTIONS.includes(key)) {
      it(`${key} is refused by name`, () => {
        expect(parseDmOptions([`${key}=${VALID[key]}`])).toBe(`thinlab: not modelled: storage option ${key}`);
      });
      continue;
    }
    it(`${key} is parsed and exercised`, () => {
      expect(parseDmOptions([`${key}=1`])).not.toBe(`devmapper: Unknown option ${key}`);
      expect(usedIn(new RegExp(`${escapeRegex(key)}=`))).not.toEqual([]);
    });
  }
  it('an unknown dm.* option is moby’s own error', () => {
    expect(parseDmOptions(['dm.no_such_option=1'])).toBe('devmapper: Unknown option dm.no_such_option');
  });
});

describe('never a silent success: lvm.conf and profiles', () => {
  for (const setting of [...MODELLED_LVM_SETTINGS, ...MODELLED_PROFILE_SETTINGS]) {
    const key = setting.split('/')[1]!;
    it(`${setting} is exercised`, () => {
      expect(usedIn(new RegExp(`${escapeRegex(key)}\\s*=`))).not.toEqual([]);
    });
  }
  for (const [setting, values] of NO_EFFECT_LVM_SETTINGS) {
    const [section, key] = setting.split('/');
    it(`${setting} is accepted only as ${values.join(' or ')}`, () => {
      const conf = (value: string): string =>
        `cat > /etc/lvm/lvm.conf <<'C'\n${section} { ${key} = ${value} }\nC\nvgs; echo rc=$?`;
      for (const v of values) expect(run(conf(v))).not.toContain('not modelled');
      expect(run(conf('"/elsewhere"'))).toMatch(
        new RegExp(`^thinlab: not modelled: lvm.conf setting ${escapeRegex(setting)} = "/elsewhere" .*\\nrc=2\\n$`),
      );
    });
  }
  it('any other lvm.conf or profile setting is refused by name', () => {
    for (const [section, key] of [
      ['activation', 'auto_activation_volume_list'],
      ['activation', 'thin_pool_autoextend_treshold'],
      ['global', 'thin_disabled_features'],
      ['allocation', 'thin_pool_zero'],
    ]) {
      expect(run(`echo '${section} { ${key} = 1 }' > /etc/lvm/lvm.conf; lvs; echo rc=$?`)).toMatch(
        new RegExp(`^thinlab: not modelled: lvm.conf setting ${section}/${key} = 1 .*\\nrc=2\\n$`),
      );
    }
    expect(
      run(`echo 'allocation { thin_pool_chunk_size = 64 }' > /etc/lvm/profile/p.profile; lvs; echo rc=$?`),
    ).toMatch(
      /^thinlab: not modelled: \/etc\/lvm\/profile\/p.profile setting allocation\/thin_pool_chunk_size .*\nrc=2\n$/,
    );
  });
});

describe("never a silent success: containerd's config.toml", () => {
  for (const key of MODELLED_DEVMAPPER_KEYS) {
    it(`devmapper ${key} is exercised`, () => {
      expect(usedIn(new RegExp(`${escapeRegex(key)} = `))).not.toEqual([]);
    });
  }
  it('another devmapper key, another section or another top-level key is refused by name', () => {
    const section = '[plugins."io.containerd.snapshotter.v1.devmapper"]';
    for (const [text, what] of [
      [`${section}\\n  fs_options = "x"`, 'config.toml key plugins.io.containerd.snapshotter.v1.devmapper.fs_options'],
      [
        '[plugins."io.containerd.grpc.v1.cri"]\\n  sandbox_image = "x"',
        'config.toml section \\[plugins."io.containerd.grpc.v1.cri"\\]',
      ],
      ['root = "/srv/containerd"', 'config.toml key root'],
    ]) {
      expect(run(`printf '${text}\\n' > /etc/containerd/config.toml; systemctl start containerd; echo rc=$?`)).toMatch(
        new RegExp(`^thinlab: not modelled: ${what} .*\\nrc=2\\n$`),
      );
    }
    expect(run(`printf 'version = 2\\n' > /etc/containerd/config.toml; systemctl start containerd; echo rc=$?`)).toBe(
      'rc=0\n',
    );
  });
});
