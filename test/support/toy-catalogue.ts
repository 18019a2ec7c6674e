/** A hand-made title catalogue in token ids for decoding tests: shared prefixes, different lengths. */
export const EOS = 1;
export const VOCAB = 40;
/** Token sequences of `"title"⏎` + EOS. */
export const SEQUENCES = [
  [5, 6, 7, EOS],
  [5, 6, 8, 9, EOS],
  [5, 10, EOS],
  [11, 12, 13, 14, 15, EOS],
  [11, 16, EOS],
  [17, EOS],
  [5, 6, 8, 20, 21, EOS],
];
export const TITLES = SEQUENCES.map((_, i) => `title ${i}`);
