/**
 * Runs metadata campaign cases in a worker thread: the campaign keeps two of them busy (the
 * machine has two cores) and can stop one whose lab tool hangs. Each worker builds the base images
 * once, then for every job makes each case's image (writing it for the real tools when asked) and
 * runs the lab's tools on it, saying which case it starts and how each ended.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { type LabCaseResult, runLabCase } from './metadata-lab.js';
import { baseImages, hasHeldSnapshot, metadataCase } from './metadata-images.js';
import { imagePath } from './metadata-real.js';

export interface WorkerJob {
  readonly seed: number;
  readonly indexes: readonly number[];
  /** The directory the real tools read the images from, or null when they are not run. */
  readonly dir: string | null;
}

export interface CaseDone {
  readonly index: number;
  /** The case's own seed, base and damage, for the report. */
  readonly where: string;
  readonly held: boolean;
  readonly ms: number;
  readonly result: LabCaseResult;
  readonly rssBytes: number;
  /** The image's key (metadata-images.ts): cases with one key are one image. */
  readonly key: string;
  /** Whether this worker had run the same image before (its lab outcomes are reused). */
  readonly repeated: boolean;
  /** The SHA-1 of the image's bytes: the key of the real tools' outcomes kept between runs. */
  readonly digest: string;
}

export type MetadataWorkerMessage =
  | { readonly kind: 'start'; readonly index: number }
  | ({ readonly kind: 'done' } & CaseDone)
  | { readonly kind: 'job-done' };

/**
 * The lab outcomes of the images a worker has run, by key. The lab is deterministic, so an image
 * met again (a named damage kind whose options do not matter on that base, say) needs no second
 * run; only outcomes are kept, a few kilobytes an image.
 */
export type LabCache = Map<string, LabCaseResult>;

/** Makes and runs each case of a job, telling `post` as it goes (also used in-process). */
export function runJob(
  bases: ReturnType<typeof baseImages>,
  job: WorkerJob,
  post: (m: MetadataWorkerMessage) => void,
  cache: LabCache = new Map(),
): void {
  for (const index of job.indexes) {
    post({ kind: 'start', index });
    const start = performance.now();
    const c = metadataCase(bases, job.seed, index);
    const seen = cache.get(c.key);
    // A repeated image is not written again: the real tools' side runs each key once.
    if (job.dir !== null && seen === undefined) writeFileSync(imagePath(job.dir, index), c.bytes);
    const result = seen ?? runLabCase(c.bytes);
    cache.set(c.key, result);
    post({
      kind: 'done',
      index,
      where: `case ${index} (seed ${c.seed}, ${c.base}, ${c.damage})`,
      held: hasHeldSnapshot(c.base),
      ms: performance.now() - start,
      result,
      rssBytes: process.memoryUsage().rss,
      key: c.key,
      repeated: seen !== undefined,
      digest: createHash('sha1').update(c.bytes).digest('hex'),
    });
  }
  post({ kind: 'job-done' });
}

// Only as the campaign's worker (vitest may run this module's importers in a thread of its own).
if (parentPort !== null && (workerData as { metadataWorker?: boolean } | null)?.metadataWorker === true) {
  const port = parentPort;
  const bases = baseImages();
  const cache: LabCache = new Map();
  port.on('message', (job: WorkerJob) => runJob(bases, job, (m) => port.postMessage(m), cache));
}
