/**
 * Importing this module loads every command domain before the importer runs (a top-level await):
 * `lab-shell.ts` and `replay/lab-runtime.ts` import it, so that every lab made through them runs
 * any command at once, as before domains were loaded lazily (src/lab/domains.ts). Only a
 * read-only replay (`thinlab at`, `diff`) uses the core modules and loads what its history needs.
 */
import { loadDomains } from './commands.js';
import { ALL_DOMAINS } from './domains.js';

await loadDomains(ALL_DOMAINS);
