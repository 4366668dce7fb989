import { quoteIdent } from '../util/sql.js';

/**
 * DuckDB type strings (as `DESCRIBE` prints them) parsed into a tree, so that the nested field
 * names of a data file — physical names under column mapping — can be matched against the Delta
 * schema, and rendered back in the same canonical form `schema.ts` uses for Delta types.
 */
export type DuckType =
  | { k: 'prim'; name: string }
  | { k: 'struct'; fields: { name: string; type: DuckType }[] }
  | { k: 'list'; child: DuckType }
  | { k: 'array'; child: DuckType; size: number }
  | { k: 'map'; key: DuckType; value: DuckType };

export function parseDuckType(s: string): DuckType {
  let i = 0;
  const ws = (): void => {
    while (s[i] === ' ') i++;
  };
  const fail = (what: string): never => {
    throw new Error(`cannot parse DuckDB type ${JSON.stringify(s)}: ${what} at ${i}`);
  };
  const expect = (c: string): void => {
    ws();
    if (s[i] !== c) fail(`expected ${c}`);
    i++;
  };
  const ident = (): string => {
    ws();
    if (s[i] === '"') {
      i++;
      let out = '';
      while (i < s.length) {
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            out += '"';
            i += 2;
            continue;
          }
          i++;
          return out;
        }
        out += s[i++];
      }
      fail('unterminated quoted name');
    }
    const start = i;
    while (i < s.length && s[i] !== ' ') i++;
    return s.slice(start, i);
  };
  const fieldsUntilParen = (): { name: string; type: DuckType }[] => {
    const fields: { name: string; type: DuckType }[] = [];
    for (;;) {
      ws();
      if (s[i] === ')') {
        i++;
        return fields;
      }
      const name = ident();
      fields.push({ name, type: type() });
      ws();
      if (s[i] === ',') i++;
      else if (s[i] !== ')') fail('expected , or )');
    }
  };
  const type = (): DuckType => {
    ws();
    let t: DuckType;
    if (s.startsWith('STRUCT(', i)) {
      i += 7;
      t = { k: 'struct', fields: fieldsUntilParen() };
    } else if (s.startsWith('MAP(', i)) {
      i += 4;
      const key = type();
      expect(',');
      const value = type();
      expect(')');
      t = { k: 'map', key, value };
    } else {
      // A primitive, possibly with parameters (DECIMAL(5,3)) or quoted members (ENUM('a', 'b')).
      const start = i;
      let depth = 0;
      let quoted = false;
      for (; i < s.length; i++) {
        const c = s[i];
        if (quoted) {
          if (c === "'") quoted = false;
        } else if (c === "'") quoted = true;
        else if (c === '(') depth++;
        else if (c === ')') {
          if (depth === 0) break;
          depth--;
        } else if ((c === ',' || c === '[') && depth === 0) break;
      }
      const name = s.slice(start, i).trim();
      if (!name) fail('empty type name');
      t = { k: 'prim', name };
    }
    while (s[i] === '[') {
      i++;
      if (s[i] === ']') {
        i++;
        t = { k: 'list', child: t };
      } else {
        const start = i;
        while (/\d/.test(s[i] ?? '')) i++;
        const size = Number(s.slice(start, i));
        expect(']');
        t = { k: 'array', child: t, size };
      }
    }
    return t;
  };
  const t = type();
  ws();
  if (i !== s.length) fail('trailing text');
  return t;
}

/** Canonical rendering: every struct field name quoted, as `duckType()` renders Delta types. */
export function renderDuckType(t: DuckType): string {
  switch (t.k) {
    case 'prim':
      return t.name;
    case 'struct':
      return `STRUCT(${t.fields.map((f) => `${quoteIdent(f.name)} ${renderDuckType(f.type)}`).join(', ')})`;
    case 'list':
      return `${renderDuckType(t.child)}[]`;
    case 'array':
      return `${renderDuckType(t.child)}[${t.size}]`;
    case 'map':
      return `MAP(${renderDuckType(t.key)}, ${renderDuckType(t.value)})`;
  }
}
