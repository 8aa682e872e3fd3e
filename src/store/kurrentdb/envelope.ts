/**
 * How a port event maps onto a KurrentDB event. KurrentDB events have a type, JSON data and JSON
 * metadata, but no schema version or simulated time, so those two travel in the metadata beside
 * the caller's own:
 *
 * ```json
 * { "thinlab": { "version": 2, "timeMs": 1500 }, "metadata": { "commandId": "c-7" } }
 * ```
 *
 * The caller's metadata is nested rather than merged so that none of its keys can collide with the
 * envelope or with KurrentDB's `$correlationId`-style keys.
 */
import { StoreError } from '../errors.js';

export interface Envelope {
  readonly thinlab: { readonly version: number; readonly timeMs: number };
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export function toEnvelope(
  version: number,
  timeMs: number,
  metadata: Readonly<Record<string, unknown>> | undefined,
): Envelope {
  return metadata === undefined ? { thinlab: { version, timeMs } } : { thinlab: { version, timeMs }, metadata };
}

/** Reads the envelope back; an event without one was not written by this adapter. */
export function fromEnvelope(
  raw: unknown,
  where: string,
): { version: number; timeMs: number; metadata: Readonly<Record<string, unknown>> | undefined } {
  const envelope = raw as Partial<Envelope> | undefined;
  const inner = envelope?.thinlab;
  if (
    typeof inner !== 'object' ||
    inner === null ||
    typeof inner.version !== 'number' ||
    typeof inner.timeMs !== 'number'
  ) {
    throw new StoreError(
      'STORE_CORRUPT',
      `${where} has no thinlab envelope in its metadata: it was not written by thinlab`,
    );
  }
  return { version: inner.version, timeMs: inner.timeMs, metadata: envelope?.metadata };
}
