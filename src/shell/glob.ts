/**
 * Pathname expansion as busybox 1.35 ash does it (its `expmeta`): after field splitting, a field
 * with an unquoted `*`, `?` or `[...]` becomes the sorted list of the paths it matches, or stays
 * as it is when nothing matches. Quoted characters (`"*"`, `\*`) are literal, and so is every
 * character that came from a quoted expansion; characters from an unquoted expansion (`x='/dev/*'`,
 * `echo $x`) are patterns, as in ash. A name starting with `.` is matched only by a component that
 * starts with a literal `.` (then `.` and `..` match too, since readdir returns them). A component
 * without a pattern after one with a pattern must exist (ash's lstat); a trailing `/` keeps only
 * directories. The matches of one field are sorted by byte value: the VM has no locale, so ash's
 * sort is strcmp's. Redirection targets and `case` words are never expanded (checked against
 * `busybox sh` 1.35.0: `echo hi > Z*` writes a file named `Z*` even when `Z1` exists).
 */
import { bracketAt, patternSegments } from './bracket.js';
import { patternSource, type Segment } from './expand.js';

/** What globbing needs to know about the file system. */
export interface DirectoryReader {
  /** The names in a directory, `.` and `..` left out; null when the path is no directory. */
  entries(dir: string): readonly string[] | null;
  /** What is at the path (lstat), null when nothing is. */
  kind(path: string): string | null;
}

function isDirectory(reader: DirectoryReader, path: string): boolean {
  return reader.kind(path) === 'dir';
}

type Field = readonly Segment[];

/** The field's text, quoted and unquoted alike. */
function fieldText(field: Field): string {
  return field.map((s) => (s.kind === 'text' ? s.text : ' ')).join('');
}

/**
 * Whether the field has a pattern character that is not quoted: a `*`, a `?`, or a `[` that an
 * unquoted `]` closes, perhaps past quoted characters (bracket.ts; else ash takes it literally).
 */
export function hasGlob(word: Field): boolean {
  const field = patternSegments(word);
  return field.some((s, seg) => {
    if (s.kind !== 'text' || s.quoted) return false;
    if (s.text.includes('*') || s.text.includes('?')) return true;
    for (let i = s.text.indexOf('['); i >= 0; i = s.text.indexOf('[', i + 1))
      if (bracketAt(field, { seg, i }) !== null) return true;
    return false;
  });
}

/** The field cut at each `/`, each piece keeping its characters' quoting. */
function components(field: Field): Segment[][] {
  const out: Segment[][] = [[]];
  for (const seg of field) {
    if (seg.kind !== 'text') continue;
    const pieces = seg.text.split('/');
    pieces.forEach((piece, i) => {
      if (i > 0) out.push([]);
      if (piece !== '') out[out.length - 1]!.push({ ...seg, text: piece });
    });
  }
  return out;
}

/** Whether a name may match a component: a leading `.` must be matched by a literal `.`. */
function dotAllowed(component: Field, name: string): boolean {
  if (!name.startsWith('.')) return true;
  const first = component.find((s) => s.kind === 'text' && s.text !== '');
  return first !== undefined && first.kind === 'text' && first.text.startsWith('.');
}

/** The names in `prefix` (a directory path ending in `/`, or '' for the working directory) that match. */
function matchingNames(reader: DirectoryReader, prefix: string, component: Field): string[] {
  const names = reader.entries(prefix === '' ? '.' : prefix);
  if (names === null) return [];
  const re = new RegExp(`^(?:${patternSource(component)})$`);
  return ['.', '..', ...names].filter((n) => dotAllowed(component, n) && re.test(n));
}

/** Expands the components from `index` on below `prefix`, adding the paths that exist to `out`. */
function expandFrom(reader: DirectoryReader, prefix: string, parts: Segment[][], index: number, out: string[]): void {
  if (!parts.slice(index).some(hasGlob)) {
    const rest = parts.slice(index).map(fieldText).join('/');
    const path = prefix + rest;
    if (rest === '' || path.endsWith('/') ? isDirectory(reader, path) : reader.kind(path) !== null) out.push(path);
    return;
  }
  const part = parts[index]!;
  const last = index === parts.length - 1;
  if (!hasGlob(part)) {
    expandFrom(reader, `${prefix}${fieldText(part)}/`, parts, index + 1, out);
    return;
  }
  for (const name of matchingNames(reader, prefix, part)) {
    if (last) out.push(prefix + name);
    else if (isDirectory(reader, prefix + name)) expandFrom(reader, `${prefix}${name}/`, parts, index + 1, out);
  }
}

/** The fields a split field becomes: its matches sorted, or itself when it has no pattern or no match. */
export function expandPathname(field: Field, reader: DirectoryReader): string[] {
  const text = fieldText(field);
  if (!hasGlob(field)) return [text];
  const out: string[] = [];
  expandFrom(reader, '', components(field), 0, out);
  // The shell's strings hold one byte per character, so JavaScript's default order (by code
  // unit) is strcmp's, which is ash's in the VM's C locale.
  return out.length === 0 ? [text] : out.sort();
}
