import { test } from "node:test";
import assert from "node:assert/strict";
import {
  parseFloatList,
  parseIntList,
  parsePythonLiteral,
  parseStringList,
  PythonLiteralError,
  reprFloat,
  reprString,
  reprStringList,
} from "../../src/data/python-literal.js";

test("python literal: both quote styles, embedded quotes, empty list, whitespace", () => {
  assert.deepEqual(parseStringList("['Hot Rocks', \"Pure 60's: The #1 Hits\"]"), [
    "Hot Rocks",
    "Pure 60's: The #1 Hits",
  ]);
  assert.deepEqual(parseStringList("[]"), []);
  assert.deepEqual(parseStringList("  [ 'a' ,\n'b', ]  "), ["a", "b"]);
  assert.deepEqual(parseStringList(`['He said "hi"', 'It\\'s']`), ['He said "hi"', "It's"]);
  assert.deepEqual(parseStringList(`['2", Clear', "a\\"b"]`), ['2", Clear', 'a"b']);
});

test("python literal: backslash escapes", () => {
  assert.deepEqual(parseStringList(String.raw`['Magic\\Daydream', 'a\'b', "c\"d", 'n\nt\tr\r']`), [
    "Magic\\Daydream",
    "a'b",
    'c"d',
    "n\nt\tr\r",
  ]);
  assert.deepEqual(parseStringList(String.raw`['\xe9t\xe9', '\u00e9\u20ac', '\U0001F3B5', '\101\0']`), [
    "été",
    "é€",
    "🎵",
    "A\0",
  ]);
  // Unknown escapes keep their backslash; a backslash-newline is a line continuation.
  assert.deepEqual(parseStringList("['\\d\\q', 'a\\\nb']"), ["\\d\\q", "ab"]);
  assert.deepEqual(parseStringList(String.raw`[r'\n\'', u'x']`), ["\\n\\'", "x"]);
  assert.deepEqual(parseStringList("['ab' \"cd\"]"), ["abcd"]);
  assert.deepEqual(parseStringList("['Beyoncé – Lemonade ♪', '日本']"), ["Beyoncé – Lemonade ♪", "日本"]);
});

test("python literal: ints, floats, constants, nesting", () => {
  assert.deepEqual(parseIntList("[5652, 1345, -3, 0, 1_000]"), [5652, 1345, -3, 0, 1000]);
  assert.deepEqual(parseFloatList("[5.0, 3.0, 1, 2.5e-3, .5, 1.]"), [5, 3, 1, 0.0025, 0.5, 1]);
  assert.deepEqual(parsePythonLiteral("[None, True, False, [1, (2, 3)], 'x', 0x1F]"), [
    null,
    true,
    false,
    [1, [2, 3]],
    "x",
    31,
  ]);
});

test("python literal: dicts as in the Steam data lines (str and int keys, nested, no prototype)", () => {
  // A line shaped like steam_reviews.json: a dict with str, float, int, bool values; an apostrophe forces double quotes.
  const line =
    "{'username': 'Chaos Syren', 'hours': 0.1, 'products': 41, 'product_id': '725280', 'page_order': 0, " +
    "'date': '2017-12-17', 'text': \"it's fun\", 'early_access': False, 'page': 1}";
  assert.deepEqual(
    { ...(parsePythonLiteral(line) as object) },
    {
      username: "Chaos Syren",
      hours: 0.1,
      products: 41,
      product_id: "725280",
      page_order: 0,
      date: "2017-12-17",
      text: "it's fun",
      early_access: false,
      page: 1,
    },
  );
  const nested = parsePythonLiteral(
    "{'tags': ['Action', 'Indie'], 1: {'x': None}, 'a': 1, 'a': 2, '__proto__': 3}",
  ) as Record<string, unknown>;
  assert.deepEqual(nested.tags, ["Action", "Indie"]);
  assert.deepEqual({ ...(nested["1"] as object) }, { x: null }, "int keys become decimal strings");
  assert.equal(nested.a, 2, "a repeated key keeps the last value, as Python");
  assert.equal(nested["__proto__"], 3, "an ordinary key, not the prototype");
  assert.equal(Object.getPrototypeOf(nested), null);
  assert.deepEqual({ ...(parsePythonLiteral("{ }") as object) }, {});
  for (const [text, re] of [
    ["{'a': 1", /unclosed "\{"/],
    ["{'a'", /unclosed "\{"/],
    ["{'a': ", /unexpected end of literal/],
    ["{'a': 1,, 'b': 2}", /at character 8/],
    ["{'a' 1}", /expected ":" after a dict key/],
    ["{'a': 1 'b': 2}", /expected "," or "\}"/],
    ["{[1]: 2}", /dict key must be a string or an integer, got a list/],
    ["{1, 2}", /expected ":"/],
  ] as Array<[string, RegExp]>) {
    assert.throws(
      () => parsePythonLiteral(text),
      (e: unknown) => e instanceof PythonLiteralError && re.test(e.message),
      text,
    );
  }
});

test("python literal: errors name the problem and position", () => {
  const bad: Array<[string, RegExp]> = [
    ["['unterminated]", /unterminated string/],
    ["['a' 'b", /unterminated string/],
    ["['a', 'b'", /unclosed "\["/],
    ["['a' 5]", /expected "," or "\]"/],
    ["[1, 2] extra", /unexpected text after/],
    ["[nan]", /not a literal/],
    ["['\\x4']", /truncated \\x escape/],
    ["[b'x']", /bytes literals/],
    ["[1j]", /malformed number/],
    ["[007]", /leading zeros/],
    ["", /unexpected end/],
  ];
  for (const [text, re] of bad)
    assert.throws(
      () => parsePythonLiteral(text),
      (e: unknown) => e instanceof PythonLiteralError && re.test(e.message),
      text,
    );
  assert.throws(() => parseIntList("[1, 2.0]"), /element 1 is a float, expected integers/);
  assert.throws(() => parseStringList("['a', 3]"), /element 1 is a int, expected strings/);
  assert.throws(() => parseStringList("'a'"), /expected a list of strings/);
  assert.throws(() => parseIntList("[99999999999999999999]"), /too large/);
});

test("repr: quote choice and escapes as CPython", () => {
  assert.equal(reprString("Hot Rocks"), "'Hot Rocks'");
  assert.equal(reprString("Pure 60's"), `"Pure 60's"`);
  assert.equal(reprString('2" Clear'), `'2" Clear'`);
  assert.equal(reprString(`It's 2" wide`), `'It\\'s 2" wide'`);
  assert.equal(reprString("Magic\\Daydream"), "'Magic\\\\Daydream'");
  assert.equal(reprString("a\tb\nc\rd\x01\x7f"), "'a\\tb\\nc\\rd\\x01\\x7f'");
  assert.equal(reprString("café ♪ 日本 🎵"), "'café ♪ 日本 🎵'");
  assert.equal(reprString("nb\u00a0sp\u200bzw\u0085"), "'nb\\xa0sp\\u200bzw\\x85'");
  assert.equal(reprStringList(["Hot Rocks", "Pure 60's"]), `['Hot Rocks', "Pure 60's"]`);
  assert.equal(reprStringList([]), "[]");
});

test("repr: floats as CPython (shortest digits, exponent outside [1e-4, 1e16))", () => {
  const cases: Array<[number, string]> = [
    [5, "5.0"],
    [3.5, "3.5"],
    [0.1, "0.1"],
    [-2.25, "-2.25"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [1.5e-7, "1.5e-07"],
    [1e16, "1e+16"],
    [123456789012345.6, "123456789012345.6"],
    [1234567890123456.0, "1234567890123456.0"],
    [12345678901234567890, "1.2345678901234567e+19"],
    [0, "0.0"],
    [-0, "-0.0"],
    [Infinity, "inf"],
  ];
  for (const [x, want] of cases) assert.equal(reprFloat(x), want, String(x));
});

test("repr then parse is the identity on tricky strings", () => {
  const strings = [
    "",
    "'",
    '"',
    `'"`,
    "\\",
    "\\'",
    "a\nb",
    "tab\there",
    "é€🎵",
    "\u0000\u001f",
    "Dr. Dre - 2001 (Explicit)",
  ];
  assert.deepEqual(parseStringList(reprStringList(strings)), strings);
});
