/**
 * The XML that thin-provisioning-tools 1.1.0 reads, cut into events as its reader (quick_xml, with
 * text trimmed and end names checked) cuts it: start, end and empty elements with their
 * attributes, and the byte just past each event, which 1.1.0 names in its errors ("unknown empty
 * element at byte 315"). Text and comments are skipped as 1.1.0 skips them. What quick_xml itself
 * refuses (a tag left open at the end of the input, an end tag that does not match, a malformed or
 * repeated attribute) is worded by quick_xml's Debug output, which the lab does not model: those
 * inputs come back as `unmodelled`, for the tool to refuse by name.
 */

export interface XmlEvent1x {
  readonly kind: 'start' | 'end' | 'empty' | 'other';
  readonly name: string;
  /** The attributes in the order written, their values raw (not unescaped). */
  readonly attrs: ReadonlyArray<readonly [string, string]>;
  /** The byte offset just past the event (quick_xml's buffer_position). */
  readonly endByte: number;
}

export type XmlEvents1x = { readonly ok: true; readonly events: XmlEvent1x[] } | { readonly unmodelled: string };

const ATTR = /\s*([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/y;

/** The attributes of a tag's inside, or null where quick_xml would refuse them. */
function attributes(inside: string): Array<[string, string]> | null {
  const out: Array<[string, string]> = [];
  ATTR.lastIndex = 0;
  while (ATTR.lastIndex < inside.length) {
    if (/^\s*$/.test(inside.slice(ATTR.lastIndex))) break;
    const m = ATTR.exec(inside);
    if (m === null) return null;
    if (out.some(([k]) => k === m[1])) return null;
    out.push([m[1]!, m[2] ?? m[3]!]);
  }
  return out;
}

/** Cuts `text` into events; `unmodelled` says what quick_xml would refuse in its own words. */
export function xmlEvents1x(text: string): XmlEvents1x {
  const events: XmlEvent1x[] = [];
  const open: string[] = [];
  let at = 0;
  for (;;) {
    const lt = text.indexOf('<', at);
    if (lt < 0) break;
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end < 0) return { unmodelled: 'a comment left open' };
      at = end + 3;
      continue;
    }
    const gt = text.indexOf('>', lt);
    if (gt < 0) return { unmodelled: 'a tag left open at the end of the input' };
    at = gt + 1;
    const raw = text.slice(lt + 1, gt);
    if (raw.startsWith('?') || raw.startsWith('!')) {
      events.push({ kind: 'other', name: '', attrs: [], endByte: at });
      continue;
    }
    if (raw.startsWith('/')) {
      const name = raw.slice(1).trim();
      if (open.pop() !== name) return { unmodelled: `an end tag </${name}> that does not match` };
      events.push({ kind: 'end', name, attrs: [], endByte: at });
      continue;
    }
    const empty = raw.endsWith('/');
    const inside = empty ? raw.slice(0, -1) : raw;
    const name = /^[^\s/>]*/.exec(inside)![0];
    const attrs = attributes(inside.slice(name.length));
    if (name === '' || attrs === null) return { unmodelled: `the tag <${raw}>` };
    if (!empty) open.push(name);
    events.push({ kind: empty ? 'empty' : 'start', name, attrs, endByte: at });
  }
  return { ok: true, events };
}
