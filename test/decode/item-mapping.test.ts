import { test } from "node:test";
import assert from "node:assert/strict";
import {
  generatedTitleText,
  ItemMapping,
  normalizeCatalogueTitle,
  normalizePredictedTitle,
  normalizeTargetTitle,
  stripChars,
} from "../../src/decode/item-mapping.js";
import type { Item } from "../../src/data/types.js";

test("stripChars strips any mix of the characters at both ends only", () => {
  assert.equal(stripChars(' \n"a "b"\n ', ' \n"'), 'a "b');
  assert.equal(stripChars('""', '"'), "");
  assert.equal(stripChars("abc", " "), "abc");
});

test("prediction: spaces/newlines, then quotes, then spaces", () => {
  assert.equal(normalizePredictedTitle(' \n"Abbey Road"\n'), "Abbey Road");
  assert.equal(normalizePredictedTitle('" Abbey Road "'), "Abbey Road");
  // Only one quote layer is peeled after the whitespace: a newline inside the quotes survives.
  assert.equal(normalizePredictedTitle('"Abbey Road\n"'), "Abbey Road\n");
  // Quotes inside a title are kept.
  assert.equal(normalizePredictedTitle('"The "Best" Of"\n'), 'The "Best" Of');
  // Leading space outside, then spaces inside the quotes.
  assert.equal(normalizePredictedTitle('  ""  Blue  ""  '), "Blue");
});

test("target: any mix of space, newline and quote", () => {
  assert.equal(normalizeTargetTitle('"Turn It On Again: The Hits"\n'), "Turn It On Again: The Hits");
  assert.equal(normalizeTargetTitle('"Abbey Road\n"'), "Abbey Road");
  assert.equal(normalizeTargetTitle(' "\n Blue \n" '), "Blue");
  assert.equal(normalizeTargetTitle("1989"), "1989");
});

test("catalogue key: quotes, spaces, newlines, quotes", () => {
  assert.equal(normalizeCatalogueTitle('"Abbey Road"'), "Abbey Road");
  assert.equal(normalizeCatalogueTitle(" Abbey Road "), "Abbey Road");
  // A quote after a space is not removed by the first quote strip but by the last.
  assert.equal(normalizeCatalogueTitle(' "Abbey Road" '), "Abbey Road");
  // Spaces are stripped before newlines, so a space in front of a trailing newline survives.
  assert.equal(normalizeCatalogueTitle("Blue \n"), "Blue ");
  assert.equal(normalizeCatalogueTitle("Blue\n "), "Blue");
});

test("generated title text is what follows the last Response:", () => {
  assert.equal(generatedTitleText('### Response: \n"Blue"\n'), ' \n"Blue"\n');
  assert.equal(generatedTitleText('x Response: y Response: \n"Blue"\n'), ' \n"Blue"\n');
  assert.equal(generatedTitleText('"Blue"\n'), '"Blue"\n');
});

test("a predicted title maps to every item with that title; others are invalid", () => {
  const items: Item[] = [
    { id: 0, title: "Greatest Hits" },
    { id: 1, title: "Blue" },
    { id: 2, title: "Greatest Hits" },
    { id: 3, title: '<span class="a-size-medium a-color-secondary a-text-normal' },
  ];
  const mapping = new ItemMapping(items);
  assert.equal(mapping.titleCount, 3);
  assert.deepEqual(
    mapping.itemsForPrediction('"Greatest Hits"\n').map((i) => i.id),
    [0, 2],
  );
  assert.deepEqual(
    mapping.itemsForPrediction(' "Blue"').map((i) => i.id),
    [1],
  );
  assert.equal(mapping.isCatalogueTitle('"<span class="a-size-medium a-color-secondary a-text-normal"\n'), true);
  assert.equal(mapping.isCatalogueTitle('"Greatest Hit"\n'), false);
  assert.deepEqual(mapping.itemsForPrediction("Nope"), []);
});
