/** The traditional sequential-recommendation baselines: SASRec, GRU4Rec, Caser. */
export * from "./batch.js";
export * from "./caser.js";
export * from "./config.js";
export * from "./folder.js";
export * from "./gru4rec.js";
export * from "./model.js";
export * from "./negatives.js";
export * from "./sasrec.js";
export * from "./scoring.js";
export * from "./sequences.js";
export * from "./vocabulary.js";
export * from "./ranking.js";
