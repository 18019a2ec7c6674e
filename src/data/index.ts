/**
 * The data layer's public API: readers and writers for the D3 / MiniOneRec layouts, the raw
 * Amazon 2018 preprocessing and download, the synthetic default dataset, prompts, token layout,
 * batching and statistics. Layers above import from here.
 */
export type { Catalogue, Example, Item } from "./types.js";
export { BadRowError, DataFormatError, SkipCounts, BAD_ROW_REASONS, type BadRowReason } from "./errors.js";
export { CsvParser, parseCsv, readCsvRecords, formatCsvRow, formatCsvField, type CsvRecord } from "./csv.js";
export {
  parsePythonLiteral,
  parseStringList,
  parseIntList,
  parseFloatList,
  PythonLiteralError,
  reprString,
  reprFloat,
  reprList,
  reprStringList,
  reprIntList,
  reprFloatList,
  type PyValue,
} from "./python-literal.js";
export {
  ItemCatalogue,
  readCatalogue,
  writeCatalogue,
  formatCatalogue,
  detectInfoLayout,
  type InfoLayout,
} from "./catalogue.js";
export { D3_HEADER, MINIONEREC_HEADER, detectLayout, rowToExample, exampleToRow, type CsvLayout } from "./layouts.js";
export { readExamples, readAllExamples, ExampleStream, type ReadOptions } from "./reader.js";
export { writeExamplesCsv, formatExamplesCsv } from "./writer.js";
export {
  locateDataset,
  loadDataset,
  categoryFromStem,
  SPLITS,
  type Split,
  type DatasetFiles,
  type LoadedDataset,
} from "./dataset.js";
export {
  buildExamples,
  chronologicalSplit,
  splitPoints,
  HISTORY_LENGTH,
  type Interaction,
  type SplitExamples,
} from "./sequences.js";
export { experimentSplits, type ExperimentSplits, type ProtocolOptions } from "./protocol.js";
export { rebuildFromHistories, mergeUserRows, type RebuildOptions, type RebuiltRows } from "./rebuild-from-history.js";
export {
  CATEGORY_PHRASES,
  categoryPhrase,
  buildPrompt,
  promptText,
  historyString,
  targetText,
  PROMPT_TEMPLATES,
  type PromptPieces,
  type PromptOptions,
  type PromptTemplateName,
} from "./prompt.js";
export {
  encodePrompt,
  encodeTrainingExample,
  padBatch,
  IGNORE_INDEX,
  type TokenEncoder,
  type EncodeOptions,
  type EncodedExample,
  type PaddedBatch,
  type PadOptions,
} from "./encode.js";
export { lengthBucketedBatches, paddingOverhead, type BucketOptions } from "./batching.js";
export { Rng, hashSeed } from "./rng.js";
export {
  statsForPath,
  splitStats,
  catalogueStats,
  coldStartStats,
  formatStats,
  type DatasetStats,
  type SplitStats,
} from "./stats.js";
export {
  preprocessAmazon,
  buildAmazonDataset,
  resolveSelectionOptions,
  datasetStem,
  PRESETS,
  type PreprocessOptions,
  type PreprocessResult,
} from "./amazon/preprocess.js";
export {
  downloadFile,
  downloadAmazonCategory,
  amazonFiles,
  AMAZON_2018_BASE_URL,
  type DownloadOptions,
  type DownloadResult,
} from "./amazon/download.js";
export { PythonRandom } from "./amazon/python-random.js";
export { cleanTitle, isTitleKept, isHtmlJunkTitle } from "./amazon/titles.js";
export {
  generateSyntheticDataset,
  writeSyntheticDataset,
  SYNTHETIC_CATEGORY,
  SYNTHETIC_DEFAULTS,
  type SyntheticDataset,
  type SyntheticOptions,
} from "./synthetic/generate.js";
export { describeSynthetic, type SyntheticStory } from "./synthetic/story.js";
