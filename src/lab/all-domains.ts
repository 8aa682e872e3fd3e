/**
 * Importing this module loads every command domain before the importer runs: `lab-shell.ts` and
 * `replay/lab-runtime.ts` import it, so that every lab made through them runs any command at once,
 * as before domains were loaded lazily (src/lab/domains.ts). Only a read-only replay (`thinlab at`,
 * `diff`) uses the core modules and loads what its history needs.
 *
 * The domains are imported statically and handed to the registry here, not loaded with a top-level
 * await of `loadDomains`: a module with a top-level await cannot be bundled as CommonJS, and the
 * CLI's bundles are CommonJS so that node can start them from V8's code cache (scripts/bundle.mjs).
 */
import * as containerd from './commands/containerd.js';
import * as docker from './commands/docker.js';
import * as faults from './commands/faults.js';
import * as files from './commands/files.js';
import * as host from './commands/host.js';
import * as lvm from './commands/lvm.js';
import * as system from './commands/system.js';
import * as text from './commands/text.js';
import * as thinTools from './commands/thin-tools.js';
import { provideDomains } from './commands.js';

provideDomains({ system, host, text, files, faults, 'thin-tools': thinTools, lvm, docker, containerd });
