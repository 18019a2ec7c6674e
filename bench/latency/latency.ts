/**
 * Per-request inference latency of the reasoning variants (issue 6, paper App. G): BIGRec (no
 * reasoning), LatentR3 with N = 1 and 2 latent thoughts, and explicit chain of thought with T = 64
 * and 128 greedy tokens, each followed by the same constrained beam search (beam 10) over the full
 * catalogue trie, at batch 1 and 8; chain of thought also at beam 1 (`--cot-beams`, the COT baseline's
 * setting in the paper's latency study, issue 16). Printed as ratios to BIGRec measured side by side in one run.
 *
 * Models are randomly initialised (`tiny`, `small`) over a vocabulary compacted to the CDs data;
 * prompts are real CDs test users. With random weights each method's own beam search runs a
 * data-dependent number of steps, so prime and search are reported apart, and every method also
 * replays BIGRec's search trajectory on its own cache ("same search", `replay.ts`): identical search
 * work, so that ratio is the reasoning cost alone. Methods are interleaved batch by batch (rotating
 * order) so load from other jobs hits all alike; see bench/README.md for measured numbers.
 *
 *   npm run build:ts && node dist/bench/latency/latency.js [--presets tiny,small] [--users 32]
 *     [--repeats 3] [--batches 1,8] [--cot 64,128] [--cot-beams 10,1] [--latents 1,2] [--seed 1]
 */
import { noGrad, tidy, type Tensor } from "../../src/engine/index.js";
import { constrainedBeamSearch, type PrimedDecoder, type SearchStep } from "../../src/decode/beam-search.js";
import { primeChainOfThought, primeLatent, primePlain } from "../../src/decode/prime.js";
import { buildTitleTrie, trieTitles } from "../../src/decode/recommend.js";
import type { TitleTrie } from "../../src/decode/title-trie.js";
import { Recommender } from "../../src/latent/recommender.js";
import { collatePrompts } from "../../src/data/collate.js";
import { intOption, listOption, sampleIndices } from "../support/args.js";
import { environment, loadBenchData, median, min } from "../support/setup.js";
import { replaySearch } from "./replay.js";

const presets = listOption("presets", "tiny,small");
const userCount = intOption("users", 32);
const repeats = intOption("repeats", 3);
const batchSizes = listOption("batches", "1,8").map(Number);
const cotBudgets = listOption("cot", "64,128").map(Number);
const cotBeams = listOption("cot-beams", "10,1").map(Number);
const latentCounts = listOption("latents", "1,2").map(Number);
const seed = intOption("seed", 1);
const BEAMS = 10;
// Spec §6.3 (LatentR3): 128 covers the deepest CDs title (95 tokens incl. EOS).
const MAX_NEW_TOKENS = 128;

interface Method {
  name: string;
  /** Beam width of its search (BEAMS unless said); BIGRec's trajectory is replayed only at BEAMS. */
  beams?: number;
  prime: (ids: Tensor, mask: Tensor) => PrimedDecoder;
}

/** One timed batch: ms priming, ms and steps of the method's own search, ms replaying BIGRec's search. */
interface Sample {
  primeMs: number;
  searchMs: number;
  steps: number;
  replayMs: number;
}

function methodsOf(rec: Recommender): Method[] {
  return [
    { name: "BIGRec", prime: (ids, mask) => primePlain(rec.model, ids, mask) },
    ...latentCounts.map((n) => {
      // Same LLM weights; the LatentRATT parameters are shared by name between N = 1 and N = 2.
      const reasoner = rec.withMeta({ numLatents: n }).reasoner!;
      return { name: `LatentR3 N=${n}`, prime: (ids: Tensor, mask: Tensor) => primeLatent(reasoner, ids, mask) };
    }),
    ...cotBeams.flatMap((beams) =>
      cotBudgets.map((t) => ({
        name: beams === BEAMS ? `CoT T=${t}` : `CoT T=${t} b${beams}`,
        beams,
        prime: (ids: Tensor, mask: Tensor) => primeChainOfThought(rec.model, ids, mask, t),
      })),
    ),
  ];
}

/**
 * Primes once, then runs the method's own search, and replays BIGRec's recorded search (`trajectory`)
 * on a fork of the primed cache. `record` collects this search's trajectory (used on BIGRec).
 */
function runBatch(
  rec: Recommender,
  trie: TitleTrie,
  method: Method,
  prompts: number[][],
  trajectory: readonly SearchStep[],
  record?: SearchStep[],
): Sample {
  return noGrad(() =>
    tidy(() => {
      const { ids, mask } = collatePrompts(prompts, rec.tokenizer.padId, rec.model.device);
      const t0 = performance.now();
      const primed = method.prime(ids, mask);
      const primeMs = performance.now() - t0;
      // The search replaces cache tensors, never writes into them: a fork keeps the primed state.
      const replayCache = primed.cache.fork();
      const beams = method.beams ?? BEAMS;
      const own = constrainedBeamSearch(rec.model, trie, primed, {
        beams,
        lengthPenalty: 1,
        maxNewTokens: MAX_NEW_TOKENS,
        ...(record ? { onStep: (s: SearchStep) => record.push(s) } : {}),
      });
      // Another beam width has no "same search" as BIGRec's beam-10 one.
      const replayMs =
        beams === BEAMS ? replaySearch(rec.model, { ...primed, cache: replayCache }, trajectory) : Number.NaN;
      primed.cache.dispose();
      replayCache.dispose();
      return { primeMs, searchMs: own.totalMs, steps: own.steps, replayMs };
    }),
  );
}

/** Per-request figures of one method at one batch size, from samples[batch][repeat]. */
function summarise(samples: Sample[][], users: number) {
  const per = (f: (s: Sample) => number, agg: (xs: number[]) => number): number =>
    samples.reduce((sum, reps) => sum + agg(reps.map(f)), 0) / users;
  return {
    medianMs: per((s) => s.primeMs + s.searchMs, median),
    minMs: per((s) => s.primeMs + s.searchMs, min),
    primeMs: per((s) => s.primeMs, median),
    searchMs: per((s) => s.searchMs, median),
    stepsPerBatch: samples.reduce((n, reps) => n + reps[0]!.steps, 0) / samples.length,
    sameSearchMedianMs: per((s) => s.primeMs + s.replayMs, median),
    sameSearchMinMs: per((s) => s.primeMs + s.replayMs, min),
    replayMs: per((s) => s.replayMs, median),
  };
}

const data = await loadBenchData();
const test = data.source.splits.test;
const userIdx = sampleIndices(test.length, userCount, seed);
const env = environment();
console.log(
  `latency: ${data.source.name}, ${userIdx.length} of ${test.length} test users (seed ${seed}), beam ${BEAMS}, ` +
    `max ${MAX_NEW_TOKENS} new tokens, ${repeats} repeats; threads omp ${env.omp} / openblas ${env.openblas}, load ${env.load1}`,
);

for (const preset of presets) {
  const rec = Recommender.create(preset, data.tokenizer, { phrase: data.source.phrase }, { seed: 0 });
  const titles = data.source.items.map((i) => i.title);
  const trie = buildTitleTrie(rec, titles);
  const prompts = userIdx.map((i) => rec.promptIds(test[i]!));
  const methods = methodsOf(rec);
  for (const bs of batchSizes) {
    const batches: number[][][] = [];
    for (let i = 0; i < prompts.length; i += bs) batches.push(prompts.slice(i, i + bs));
    // Warm-up, and BIGRec's search trajectory per batch (deterministic), replayed on every method's cache.
    const trajectories = batches.map((batch) => {
      const steps: SearchStep[] = [];
      runBatch(rec, trie, methods[0]!, batch, [], steps);
      return steps;
    });
    for (const m of methods.slice(1)) runBatch(rec, trie, m, batches[0]!, trajectories[0]!);
    // samples[method][batch][repeat]
    const samples = methods.map(() => batches.map(() => [] as Sample[]));
    for (let r = 0; r < repeats; r++) {
      batches.forEach((batch, b) => {
        for (let k = 0; k < methods.length; k++) {
          const mi = (k + b + r) % methods.length;
          samples[mi]![b]!.push(runBatch(rec, trie, methods[mi]!, batch, trajectories[b]!));
        }
      });
    }
    const rows = methods.map((m, mi) => ({ method: m.name, ...summarise(samples[mi]!, prompts.length) }));
    printTable(preset, rec, bs, trieTitles(titles).length, rows);
    console.log(
      JSON.stringify({
        bench: "latency",
        env: { ...environment(), date: env.date },
        data: data.source.name,
        real: data.real,
        preset,
        batch: bs,
        beams: BEAMS,
        users: prompts.length,
        repeats,
        methods: rows.map((r) => ({
          ...r,
          ratio: r.medianMs / rows[0]!.medianMs,
          ratioMin: r.minMs / rows[0]!.minMs,
          sameSearchRatio: r.sameSearchMedianMs / rows[0]!.sameSearchMedianMs,
        })),
      }),
    );
  }
  rec.dispose();
}

type Row = ReturnType<typeof summarise> & { method: string };

function printTable(preset: string, rec: Recommender, bs: number, titleCount: number, rows: Row[]): void {
  const base = rows[0]!;
  const c = rec.model.config;
  console.log(
    `\n${preset} (d=${c.hidden_size}, ${c.num_hidden_layers} layers, vocab ${c.vocab_size}), batch ${bs}, ` +
      `${titleCount} titles: per-request ms, median of ${repeats} repeats (min)`,
  );
  console.log(
    "                | own search: prime + the method's search                     | same search: prime + BIGRec's replayed",
  );
  console.log(
    "method          | total ms      | ×BIGRec     | prime ms | ×prime | search ms | steps | total ms      | ×BIGRec",
  );
  const x = (a: number, b: number): string => (Number.isNaN(a) ? "–" : (a / b).toFixed(2));
  const ms = (a: number): string => (Number.isNaN(a) ? "–" : a.toFixed(1));
  for (const r of rows) {
    console.log(
      [
        r.method.padEnd(15),
        `${r.medianMs.toFixed(1)} (${r.minMs.toFixed(1)})`.padStart(13),
        `${x(r.medianMs, base.medianMs)} (${x(r.minMs, base.minMs)})`.padStart(11),
        r.primeMs.toFixed(1).padStart(8),
        x(r.primeMs, base.primeMs).padStart(6),
        r.searchMs.toFixed(1).padStart(9),
        r.stepsPerBatch.toFixed(1).padStart(5),
        `${ms(r.sameSearchMedianMs)} (${ms(r.sameSearchMinMs)})`.padStart(13),
        `${x(r.sameSearchMedianMs, base.sameSearchMedianMs)} (${x(r.sameSearchMinMs, base.sameSearchMinMs)})`,
      ].join(" | "),
    );
  }
  const latent1 = rows.find((r) => r.method === "LatentR3 N=1");
  if (latent1) {
    const own = latent1.medianMs / base.medianMs;
    const same = latent1.sameSearchMedianMs / base.sameSearchMedianMs;
    console.log(
      `target LatentR3 (N=1) ≤ 1.15× BIGRec: ${same.toFixed(2)}× with the same search (${same <= 1.15 ? "met" : "not met"}); ` +
        `${own.toFixed(2)}× with each method's own search, whose length random weights decide`,
    );
    for (const r of rows.filter((r) => r.method.startsWith("CoT"))) {
      console.log(`${r.method}: ${x(r.medianMs, latent1.medianMs)}× LatentR3 N=1 per request (own search, median)`);
    }
  }
}
