/**
 * The log level of a 1.1.0 tool from its hidden -v (report.rs `parse_log_level`): Warning (3)
 * without it, and each -v one more, in u8 arithmetic. clap counts the flag in a u8 that stops at
 * 255, and `3 + count` wraps past 255, so 253 of them give level 0, which `try_into` refuses with
 * "invalid index" (the tool's only words, status 64), and 254 or 255 give Fatal or Error, which
 * hide even the warnings. Levels 5 and up are all Debug. Seen on the real 1.1.0: 253 -v make
 * `thin_ls` print "invalid index", 254 make it list without complaint.
 */

export const LOG_FATAL = 1;
export const LOG_WARNING = 3;
export const LOG_INFO = 4;
export const LOG_DEBUG = 5;

/** What 1.1.0 prints when the level is out of range, and the status it exits with (to_exit_code). */
export const INVALID_LOG_LEVEL_1X = 'invalid index\n';

/** The level `count` -v give, or null where 1.1.0 refuses it ("invalid index"). */
export function logLevel1x(count: number): number | null {
  const counted = Math.min(count, 255);
  const level = (LOG_WARNING + counted) % 256;
  return level === 0 ? null : Math.min(level, LOG_DEBUG);
}
