/**
 * The checksum written with each event (migration 0004): a CRC-32 of the event's stored text.
 * SQLite's own page checks do not cover a byte changed inside a row (a disk or an editor can do
 * that and leave a well-formed page), and a changed byte inside JSON text often still parses, so
 * without this a damaged event would replay as a different event. CRC-32 catches every change of
 * one byte and every burst of up to 32 bits.
 */
import { crc32 } from 'node:zlib';

export function eventChecksum(
  type: string,
  version: number,
  data: string,
  metadata: string | null,
  timeMs: number,
): number {
  return crc32(`${type}\u0000${version}\u0000${data}\u0000${metadata ?? ''}\u0000${timeMs}`);
}
