/**
 * A streaming reader for thin_dump's XML, reporting malformed input with expat's messages and
 * line numbers, because thin_restore 0.9.0 parses with expat and prints them
 * ("Parse error at line 3:\nmismatched tag"). Like expat it calls the handlers as it goes, so a
 * semantic error early in the file is reported before a syntax error later on.
 */

export class XmlSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

export interface XmlHandlers {
  start(name: string, attrs: ReadonlyMap<string, string>): void;
  end(name: string): void;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;

// biome-ignore lint/complexity/noExcessiveLinesPerFunction: one-pass XML tokenizer for thin_restore's input; its states share the cursor.
export function parseXml(text: string, handlers: XmlHandlers): void {
  let pos = 0;
  let line = 1;
  const stack: string[] = [];
  let rootDone = false;
  let rootSeen = false;
  const fail = (message: string): never => {
    throw new XmlSyntaxError(line, message);
  };
  // Expat names the line a token starts on when the input ends inside it (`<superblock` and a
  // newline: line 1), not the line the input ends on.
  let tokenLine = 1;
  const unclosed = (): never => {
    throw new XmlSyntaxError(tokenLine, 'unclosed token');
  };
  const advanceTo = (to: number): void => {
    for (; pos < to; pos++) if (text.charCodeAt(pos) === 10) line++;
  };
  const skipSpace = (): void => {
    while (pos < text.length && /\s/.test(text[pos]!)) advanceTo(pos + 1);
  };
  const readName = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(text);
    if (m === null) fail('not well-formed (invalid token)');
    advanceTo(pos + m![0].length);
    return m![0];
  };
  while (pos < text.length) {
    const c = text[pos]!;
    tokenLine = line;
    if (c !== '<') {
      if (/\s/.test(c)) {
        advanceTo(pos + 1);
        continue;
      }
      // Characters XML forbids (control characters, and bytes that are not UTF-8 text such as
      // binary metadata) are invalid tokens to expat wherever they are.
      const code = c.charCodeAt(0);
      if (code < 0x20 || code >= 0x80) fail('not well-formed (invalid token)');
      // Text outside the root element is an error; inside it, thin_dump's XML has none to keep.
      if (stack.length === 0) fail(rootDone ? 'junk after document element' : 'syntax error');
      advanceTo(pos + 1);
      continue;
    }
    if (text.startsWith('<?', pos)) {
      const end = text.indexOf('?>', pos);
      if (end < 0) unclosed();
      advanceTo(end + 2);
      continue;
    }
    if (text.startsWith('<!--', pos)) {
      const end = text.indexOf('-->', pos);
      if (end < 0) unclosed();
      advanceTo(end + 3);
      continue;
    }
    if (text.startsWith('</', pos)) {
      advanceTo(pos + 2);
      const name = readName();
      skipSpace();
      if (text[pos] !== '>') fail('not well-formed (invalid token)');
      if (stack.at(-1) !== name) fail('mismatched tag');
      advanceTo(pos + 1);
      stack.pop();
      handlers.end(name);
      if (stack.length === 0) rootDone = true;
      continue;
    }
    if (rootDone) fail('junk after document element');
    advanceTo(pos + 1);
    const name = readName();
    const attrs = new Map<string, string>();
    for (;;) {
      const before = pos;
      skipSpace();
      if (pos >= text.length) unclosed();
      if (text[pos] === '>' || text.startsWith('/>', pos)) break;
      if (pos === before) fail('not well-formed (invalid token)');
      const attr = readName();
      skipSpace();
      if (text[pos] !== '=') fail('not well-formed (invalid token)');
      advanceTo(pos + 1);
      skipSpace();
      const quote = text[pos];
      if (quote !== '"' && quote !== "'") fail('not well-formed (invalid token)');
      const close = text.indexOf(quote!, pos + 1);
      if (close < 0) unclosed();
      const value = text.slice(pos + 1, close);
      if (value.includes('<')) fail('not well-formed (invalid token)');
      if (attrs.has(attr)) fail('duplicate attribute');
      attrs.set(
        attr,
        value
          .replace(/&quot;/g, '"')
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&amp;/g, '&'),
      );
      advanceTo(close + 1);
    }
    const selfClosing = text.startsWith('/>', pos);
    advanceTo(pos + (selfClosing ? 2 : 1));
    rootSeen = true;
    handlers.start(name, attrs);
    if (selfClosing) {
      handlers.end(name);
      if (stack.length === 0) rootDone = true;
    } else stack.push(name);
  }
  if (!rootSeen || stack.length > 0) fail('no element found');
}
