/**
 * `thinlab sh --attach FILE:/dev/ramN`: reads the host image for the lab (src/lab/attach-image.ts
 * places it). The image's bytes go into the branch's history as its first event, so replay, `at`
 * and every later command rebuild the disk without the host file; its sha256 is recorded beside
 * them to say which image it was.
 */
import { createHash } from 'node:crypto';
import type { ImageAttached } from '../../events/lab-events.js';
import { imageRuns } from '../../lab/attach-image.js';
import { UsageError } from '../output.js';
import { readHostFile } from '../host-input.js';

/** Reads `FILE:/dev/ramN` into the event's data; a usage error names what is wrong. */
export function readAttach(spec: string): ImageAttached['data'] {
  const at = spec.lastIndexOf(':/dev/');
  if (at <= 0) throw new UsageError(`--attach needs FILE:DEVICE, e.g. --attach meta.img:/dev/ram0, got '${spec}'`);
  const file = spec.slice(0, at);
  const device = spec.slice(at + 1);
  const bytes = readHostFile(file, 'an image');
  return {
    device,
    file,
    sizeBytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    runs: imageRuns(bytes),
  };
}
