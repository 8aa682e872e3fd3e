/**
 * Docker's size units (github.com/docker/go-units): `HumanSize` prints decimal units with four
 * significant digits as Go's `%.4g` does (`107.4GB`, `65.54kB`, `8.59GB`, `0B`), and `RAMInBytes`
 * reads sizes in binary units (`10G` = 10×1024³), as the dm.* options are read.
 */

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** Go's `%.4g` for a number below 10000: four significant digits, trailing zeros dropped. */
function goG4(value: number): string {
  let s = value.toPrecision(4);
  if (s.includes('e')) s = String(Number(s));
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

export function humanSize(bytes: number): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return `${goG4(size)}${DECIMAL_UNITS[i]!}`;
}

/** `units.RAMInBytes`: a number, an optional space, an optional k/m/g/t/p with optional i and b. */
export function ramInBytes(text: string): number | string {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text);
  if (m === null) return `invalid size: '${text}'`;
  const n = Number(m[1]);
  if (!Number.isFinite(n)) return `invalid size: '${text}'`;
  const unit = (m[2] ?? '').toLowerCase();
  const factor: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };
  return Math.floor(n * factor[unit]!);
}
