// The metadata campaign's worker entry: a worker thread does not inherit tsx's loader, so it
// registers it, as bin/thinlab.js does, before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./metadata-worker.ts');
