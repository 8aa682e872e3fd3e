/**
 * Reading events back: validation and upcasting. Old versions are upcast on read to the current
 * shape, so the rest of the lab only ever sees current events; unknown types or versions are
 * refused with a clear error (a newer lab wrote them, or the log is damaged).
 *
 * Upcasts:
 * - `ShellCommandRan` v1 (`{ line, stdout }`, before exit statuses were recorded) becomes v2
 *   (`{ command, output, status }`), with status 0 unless the output ends in `Command failed.`
 *   (dmsetup's failure line), which was the only way v1 logs showed a failure.
 * - `ShellCommandRan` v3 with a `mode` (written for a while before v4 existed) is read as v4.
 */
import {
  type BlocksWritten,
  CURRENT_VERSION,
  type ImageAttached,
  LAB_EVENT_TYPES,
  type LabEvent,
  type LabEventType,
  type ShellCommandRan,
} from './lab-events.js';

export class EventDecodeError extends Error {
  override readonly name = 'EventDecodeError';
  readonly code = 'EVENT_UNREADABLE';
}

export interface RawEvent {
  readonly type: string;
  readonly version: number;
  readonly data: unknown;
}

const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function need<T>(ok: boolean, what: string, value: T): T {
  if (!ok) throw new EventDecodeError(what);
  return value;
}

export function decodeEvent(raw: RawEvent, where: string): LabEvent {
  if (!(LAB_EVENT_TYPES as readonly string[]).includes(raw.type)) {
    throw new EventDecodeError(`${where}: unknown event type '${raw.type}' (written by a newer thinlab?)`);
  }
  const type = raw.type as LabEventType;
  if (!Number.isInteger(raw.version) || raw.version < 1 || raw.version > CURRENT_VERSION[type]) {
    throw new EventDecodeError(
      `${where}: ${type} version ${raw.version} is not one this thinlab reads (1..${CURRENT_VERSION[type]})`,
    );
  }
  const d = raw.data;
  if (!isRecord(d)) throw new EventDecodeError(`${where}: ${type} has no data object`);
  switch (type) {
    case 'ShellCommandRan': {
      if (raw.version === 1) {
        const line = need(typeof d.line === 'string', `${where}: ShellCommandRan v1 needs 'line'`, d.line as string);
        const stdout = need(
          typeof d.stdout === 'string',
          `${where}: ShellCommandRan v1 needs 'stdout'`,
          d.stdout as string,
        );
        return {
          type,
          version: 3,
          data: { command: line, output: stdout, status: stdout.endsWith('Command failed.\n') ? 1 : 0 },
        };
      }
      const ok = typeof d.command === 'string' && typeof d.output === 'string' && Number.isInteger(d.status);
      need(ok, `${where}: ShellCommandRan v${raw.version} needs command, output and status`, 0);
      const data = { command: d.command as string, output: d.output as string, status: d.status as number };
      // Version 2 recorded no operations: they stay absent, and a replay does not check them.
      if (raw.version === 2) return { type, version: 3, data };
      const operations = d.operations;
      need(
        Array.isArray(operations) && operations.every((o) => typeof o === 'string'),
        `${where}: ShellCommandRan v3 needs operations (strings)`,
        0,
      );
      const mode = d.mode as ShellCommandRan['data']['mode'];
      need(
        mode === undefined || mode === 'script' || mode === 'script-end',
        `${where}: ShellCommandRan mode must be 'script' or 'script-end'`,
        0,
      );
      need(raw.version === 3 || mode !== undefined, `${where}: ShellCommandRan v4 needs a mode`, 0);
      const withOperations = { ...data, operations: operations as string[] };
      // Session 11's thinlab wrote modes under version 3: they are read as the version 4 they are.
      return mode === undefined
        ? { type, version: 3, data: withOperations }
        : { type, version: 4, data: { ...withOperations, mode } };
    }
    case 'BlocksWritten': {
      const ok =
        typeof d.device === 'string' &&
        isCount(d.sector) &&
        isCount(d.sectors) &&
        isCount(d.byte) &&
        isCount(d.errno) &&
        (d.byte as number) < 256;
      need(ok, `${where}: BlocksWritten needs device, sector, sectors, byte and errno`, 0);
      // The hot path of a replay: the data object is already the right shape, so it is kept.
      return { type, version: 1, data: d as unknown as BlocksWritten['data'] };
    }
    case 'ClockAdvanced':
      need(Number.isInteger(d.ms) && (d.ms as number) >= 0, `${where}: ClockAdvanced needs ms`, 0);
      return { type, version: 1, data: { ms: d.ms as number } };
    case 'ImageAttached': {
      const runs = d.runs;
      const ok =
        typeof d.device === 'string' &&
        typeof d.file === 'string' &&
        isCount(d.sizeBytes) &&
        typeof d.sha256 === 'string' &&
        Array.isArray(runs) &&
        runs.every((r) => isRecord(r) && isCount(r.offset) && typeof r.base64 === 'string');
      need(ok, `${where}: ImageAttached needs device, file, sizeBytes, sha256 and runs of {offset, base64}`, 0);
      return { type, version: 1, data: d as unknown as ImageAttached['data'] };
    }
    default:
      throw new EventDecodeError(`${where}: unknown event type '${String(type)}'`);
  }
}
