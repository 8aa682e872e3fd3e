/**
 * The shell over a lab, with every command domain loaded (src/lab/all-domains.ts): what recording,
 * the scenario runner, the tools on host files and the tests use. The class is in lab-shell-core.ts,
 * which a read-only replay imports without loading the domains its history does not use.
 */
import './all-domains.js';

export { LabPort, LabShell } from './lab-shell-core.js';
