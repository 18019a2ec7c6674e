/**
 * Python literals, both ways. The D3 CSV list cells are Python `repr` output (the reference
 * reads them with `ast.literal_eval`), so JSON parsing is wrong for them: strings may be single-
 * or double-quoted and carry backslash escapes. The repr side reproduces CPython's choices
 * (quote style, escapes, float formatting) so written files are byte-identical to the reference.
 */

export type PyValue = string | number | boolean | null | PyValue[] | PyDict;
/** A Python dict with string or int keys (int keys become their decimal string, and iterate first, as in any JS object); no prototype. */
export type PyDict = { [key: string]: PyValue };

/** A literal that is not valid Python (or uses a construct this parser does not support). */
export class PythonLiteralError extends Error {
  /** 0-based character offset of the problem within the literal. */
  readonly position: number;
  constructor(problem: string, position: number, text: string) {
    const around = text.slice(Math.max(0, position - 20), position + 20);
    super(`${problem} at character ${position} (near ${JSON.stringify(around)})`);
    this.name = "PythonLiteralError";
    this.position = position;
  }
}

/** Parsed value with the Python type kept, so `[1, 2]` and `[1.0, 2.0]` can be told apart. */
type Tagged =
  | { t: "str"; v: string }
  | { t: "int"; v: number }
  | { t: "float"; v: number }
  | { t: "const"; v: boolean | null }
  | { t: "list"; v: Tagged[] }
  | { t: "dict"; v: Array<[Tagged, Tagged]> };

const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

const NUMBER_RE =
  /[+-]?(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d(?:_?\d)*)?(?:\.(?:\d(?:_?\d)*)?)?(?:[eE][+-]?\d(?:_?\d)*)?)/y;

class LiteralParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseAll(): Tagged {
    const value = this.value();
    this.skipSpace();
    if (this.pos < this.text.length) this.fail("unexpected text after the literal");
    return value;
  }

  private fail(problem: string, at = this.pos): never {
    throw new PythonLiteralError(problem, at, this.text);
  }

  private skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      // ASCII whitespace fast path; other code points go through the Unicode-aware test.
      if (c === 32 || (c >= 9 && c <= 13)) this.pos++;
      else if (c > 127 && /\s/.test(t[this.pos]!)) this.pos++;
      else break;
    }
  }

  private value(): Tagged {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === undefined) this.fail("unexpected end of literal; expected a value");
    if (c === "[" || c === "(") return this.sequence(c === "[" ? "]" : ")");
    if (c === "{") return this.dict();
    if (/[rRuUbBfF'"]/.test(c)) {
      const prefix = /[rRuUbBfF]{0,2}(?=['"])/y;
      prefix.lastIndex = this.pos;
      if (prefix.exec(this.text)) return this.strings();
    }
    if (/[A-Za-z_]/.test(c)) return this.name();
    return this.number();
  }

  private sequence(close: string): Tagged {
    const start = this.pos;
    this.pos++;
    const items: Tagged[] = [];
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.text.length) this.fail(`unclosed "${this.text[start]}"; expected "${close}"`, start);
      if (this.text[this.pos] === close) {
        this.pos++;
        return { t: "list", v: items };
      }
      items.push(this.value());
      this.skipSpace();
      if (this.pos >= this.text.length) this.fail(`unclosed "${this.text[start]}"; expected "${close}"`, start);
      const c = this.text[this.pos];
      if (c === ",") this.pos++;
      else if (c !== close) this.fail(`expected "," or "${close}" between elements`);
    }
  }

  /** `{key: value, ...}` with str or int keys (what the Steam data files hold); sets are not supported. */
  private dict(): Tagged {
    const start = this.pos;
    this.pos++;
    const entries: Array<[Tagged, Tagged]> = [];
    const unclosed = () => this.fail('unclosed "{"; expected "}"', start);
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.text.length) unclosed();
      if (this.text[this.pos] === "}") {
        this.pos++;
        return { t: "dict", v: entries };
      }
      const keyAt = this.pos;
      const key = this.value();
      if (key.t !== "str" && key.t !== "int")
        this.fail(`a dict key must be a string or an integer, got a ${key.t}`, keyAt);
      this.skipSpace();
      if (this.pos >= this.text.length) unclosed();
      if (this.text[this.pos] !== ":") this.fail('expected ":" after a dict key (sets are not supported)');
      this.pos++;
      entries.push([key, this.value()]);
      this.skipSpace();
      if (this.pos >= this.text.length) unclosed();
      const c = this.text[this.pos];
      if (c === ",") this.pos++;
      else if (c !== "}") this.fail('expected "," or "}" between dict entries');
    }
  }

  private name(): Tagged {
    const m = /[A-Za-z_][A-Za-z0-9_]*/y;
    m.lastIndex = this.pos;
    const word = m.exec(this.text)![0];
    const known: Record<string, boolean | null> = { None: null, True: true, False: false };
    if (!(word in known)) this.fail(`"${word}" is not a literal (only None, True, False are allowed)`);
    this.pos += word.length;
    return { t: "const", v: known[word]! };
  }

  /** Fast path for the plain decimals that fill the data files (`5652`, `-3`, `5.0`); undefined → general path. */
  private simpleNumber(): Tagged | undefined {
    const t = this.text;
    let i = this.pos;
    if (t.charCodeAt(i) === 45) i++; // '-'
    const digitsStart = i;
    while (i < t.length && t.charCodeAt(i) >= 48 && t.charCodeAt(i) <= 57) i++;
    if (i === digitsStart) return undefined;
    if (t.charCodeAt(digitsStart) === 48 && i - digitsStart > 1) return undefined; // leading zeros: general path
    let isFloat = false;
    if (t.charCodeAt(i) === 46) {
      isFloat = true;
      i++;
      while (i < t.length && t.charCodeAt(i) >= 48 && t.charCodeAt(i) <= 57) i++;
    }
    const next = t.charCodeAt(i);
    // Anything but a separator (e.g. e, x, _, j) goes through the general parser.
    if (i < t.length && next !== 44 && next !== 93 && next !== 41 && next !== 32 && next !== 125 && next !== 58)
      return undefined;
    const value = Number(t.slice(this.pos, i));
    if (!isFloat && !Number.isSafeInteger(value)) return undefined;
    this.pos = i;
    return isFloat ? { t: "float", v: value } : { t: "int", v: value };
  }

  private number(): Tagged {
    const fast = this.simpleNumber();
    if (fast) return fast;
    NUMBER_RE.lastIndex = this.pos;
    const m = NUMBER_RE.exec(this.text);
    const raw = m ? m[0] : "";
    if (!/\d/.test(raw)) this.fail("expected a string, number, list, None, True or False");
    const next = this.text[this.pos + raw.length];
    if (next !== undefined && /[A-Za-z0-9_.]/.test(next)) this.fail(`malformed number "${raw}${next}"`);
    const clean = raw.replace(/_/g, "");
    this.pos += raw.length;
    const body = clean.replace(/^[+-]/, "");
    const negative = clean.startsWith("-");
    if (/^0[xXoObB]/.test(body)) {
      const value = Number(body) * (negative ? -1 : 1);
      return { t: "int", v: this.safeInt(value, raw) };
    }
    if (/[.eE]/.test(body)) return { t: "float", v: Number(clean) };
    if (/^0\d/.test(body) && /[1-9]/.test(body)) this.fail(`leading zeros are not allowed in "${raw}"`);
    return { t: "int", v: this.safeInt(Number(clean), raw) };
  }

  private safeInt(value: number, raw: string): number {
    if (!Number.isSafeInteger(value)) this.fail(`integer ${raw} is too large to represent exactly`);
    return value;
  }

  /** One or more adjacent string literals, concatenated as Python does. */
  private strings(): Tagged {
    let out = "";
    do {
      out += this.stringLiteral();
      this.skipSpace();
    } while (this.pos < this.text.length && /[rRuU'"]/.test(this.text[this.pos]!) && this.looksLikeString());
    return { t: "str", v: out };
  }

  private looksLikeString(): boolean {
    const m = /[rRuU]{0,2}['"]/y;
    m.lastIndex = this.pos;
    return m.test(this.text);
  }

  private stringLiteral(): string {
    const start = this.pos;
    let raw = false;
    while (/[rRuUbBfF]/.test(this.text[this.pos]!)) {
      const p = this.text[this.pos]!.toLowerCase();
      if (p === "b") this.fail("bytes literals are not supported");
      if (p === "f") this.fail("f-strings are not literals");
      if (p === "r") raw = true;
      this.pos++;
    }
    const q = this.text[this.pos]!;
    const triple = this.text.startsWith(q.repeat(3), this.pos);
    const closer = triple ? q.repeat(3) : q;
    this.pos += closer.length;
    let out = "";
    for (;;) {
      if (this.pos >= this.text.length) this.fail("unterminated string literal", start);
      if (this.text.startsWith(closer, this.pos)) {
        this.pos += closer.length;
        return out;
      }
      // Copy the run of ordinary characters up to the next backslash, quote or newline in one slice.
      let end = this.pos;
      while (end < this.text.length) {
        const d = this.text.charCodeAt(end);
        if (d === 92 || d === 39 || d === 34 || d === 10 || d === 13) break;
        end++;
      }
      if (end > this.pos) {
        out += this.text.slice(this.pos, end);
        this.pos = end;
        continue;
      }
      const c = this.text[this.pos]!;
      if (!triple && (c === "\n" || c === "\r")) this.fail("newline inside a single-quoted string literal");
      if (c !== "\\") {
        out += c;
        this.pos++;
        continue;
      }
      const e = this.text[this.pos + 1];
      if (e === undefined) this.fail("unterminated string literal", start);
      if (raw) {
        // A raw string keeps the backslash, but an escaped quote still does not end it.
        out += c + e;
        this.pos += 2;
        continue;
      }
      out += this.escape(e);
    }
  }

  /** Decodes the escape starting at `this.pos` (a backslash) and advances past it. */
  private escape(e: string): string {
    const at = this.pos;
    this.pos += 2;
    if (e in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[e]!;
    if (e === "\n") return "";
    if (e === "\r") {
      if (this.text[this.pos] === "\n") this.pos++;
      return "";
    }
    if (/[0-7]/.test(e)) {
      let digits = e;
      while (digits.length < 3 && /[0-7]/.test(this.text[this.pos] ?? "")) digits += this.text[this.pos++];
      return String.fromCodePoint(parseInt(digits, 8));
    }
    const hexLength = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
    if (hexLength > 0) {
      const hex = this.text.slice(this.pos, this.pos + hexLength);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(hex)) {
        this.fail(`truncated \\${e} escape; expected ${hexLength} hex digits`, at);
      }
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) this.fail(`\\${e}${hex} is outside the Unicode range`, at);
      this.pos += hexLength;
      return String.fromCodePoint(cp);
    }
    if (e === "N") this.fail("named unicode escapes (\\N{...}) are not supported", at);
    // Unknown escapes keep the backslash, as Python does.
    return "\\" + e;
  }
}

function untag(t: Tagged): PyValue {
  if (t.t === "list") return t.v.map(untag);
  if (t.t === "dict") {
    // No prototype, so a key such as "__proto__" is an ordinary key; a repeated key keeps the last value, as Python.
    const out = Object.create(null) as PyDict;
    for (const [k, v] of t.v) out[String(k.v)] = untag(v);
    return out;
  }
  return t.v;
}

/** Parses any supported literal: str, int, float, None/True/False, lists and tuples (as arrays), dicts. */
export function parsePythonLiteral(text: string): PyValue {
  return untag(new LiteralParser(text).parseAll());
}

function parseList(text: string, what: string, accept: (t: Tagged) => boolean): Tagged[] {
  const value = new LiteralParser(text).parseAll();
  if (value.t !== "list") throw new PythonLiteralError(`expected a list of ${what}, got a ${value.t}`, 0, text);
  value.v.forEach((item, i) => {
    if (!accept(item)) throw new PythonLiteralError(`element ${i} is a ${item.t}, expected ${what}`, 0, text);
  });
  return value.v;
}

/** `"['a', \"b'c\"]"` → `["a", "b'c"]`; throws unless every element is a string. */
export function parseStringList(text: string): string[] {
  return parseList(text, "strings", (t) => t.t === "str").map((t) => t.v as string);
}

/** `"[5652, 1345]"` → `[5652, 1345]`; floats such as `1.0` are rejected. */
export function parseIntList(text: string): number[] {
  return parseList(text, "integers", (t) => t.t === "int").map((t) => t.v as number);
}

/** `"[5.0, 3.0]"` → `[5, 3]`; ints are accepted as Python would accept them in float context. */
export function parseFloatList(text: string): number[] {
  return parseList(text, "numbers", (t) => t.t === "float" || t.t === "int").map((t) => t.v as number);
}

// ---------------------------------------------------------------------------------------------
// repr

const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function hex(cp: number, width: number): string {
  return cp.toString(16).padStart(width, "0");
}

/** CPython's `repr(str)`: single quotes unless the text has `'` and no `"`; escapes as CPython. */
export function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (cp < 0x20 || cp === 0x7f) out += "\\x" + hex(cp, 2);
    else if (cp < 0x7f) out += ch;
    else if (ch !== " " && NON_PRINTABLE.test(ch)) {
      out += cp <= 0xff ? "\\x" + hex(cp, 2) : cp <= 0xffff ? "\\u" + hex(cp, 4) : "\\U" + hex(cp, 8);
    } else out += ch;
  }
  return out + quote;
}

/** CPython's `repr(float)`: shortest round-trip digits, fixed notation for 1e-4 ≤ |x| < 1e16. */
export function reprFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa, expText] = Math.abs(x).toExponential().split("e") as [string, string];
  const exp = Number(expText);
  const digits = mantissa.replace(".", "");
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  const frac = digits.slice(exp + 1) || "0";
  return `${sign}${intPart}.${frac}`;
}

/** CPython's `repr(list)` given the repr of each element. */
export function reprList<T>(values: readonly T[], reprItem: (v: T) => string): string {
  return `[${values.map(reprItem).join(", ")}]`;
}

export const reprStringList = (values: readonly string[]): string => reprList(values, reprString);
export const reprIntList = (values: readonly number[]): string => reprList(values, (v) => String(v));
export const reprFloatList = (values: readonly number[]): string => reprList(values, reprFloat);
