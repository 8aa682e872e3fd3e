/**
 * Folding events into a lab, with every command domain loaded (src/lab/all-domains.ts): what
 * recording, what-if, bisect and the tests use. The class is in lab-runtime-core.ts, which
 * History's read-only replay imports, loading only the domains its events need (history.ts).
 */
import '../lab/all-domains.js';

export { DivergenceError, type LabOptions, LabRuntime } from './lab-runtime-core.js';
