/**
 * Recommendations for a list of users, decoded by every rank of a data-parallel job: each rank
 * takes its strided share of the users, and the rankings are gathered back in the users' order.
 * In a single process this is `recommend` itself.
 */
import type { Example } from "../data/types.js";
import { recommend, type Recommendations, type RecommendOptions } from "../decode/recommend.js";
import type { TitleTrie } from "../decode/title-trie.js";
import type { DataParallel } from "../distributed/index.js";
import type { Recommender } from "../latent/recommender.js";

export function recommendSharded(
  dp: DataParallel,
  rec: Recommender,
  trie: TitleTrie,
  users: readonly Example[],
  opts: RecommendOptions,
): Pick<Recommendations, "titles" | "timing"> {
  const out = recommend(rec, trie, dp.shard(users), opts);
  return { titles: dp.gatherShardsJson(out.titles), timing: jobTiming(dp, out.timing) };
}

/** The job's decoding time: wall time of the slowest rank, per-stage times summed over ranks. */
function jobTiming(dp: DataParallel, t: Recommendations["timing"]): Recommendations["timing"] {
  if (!dp.isDistributed) return t;
  const [primeMs, searchMs, tensorMs] = dp.sum([t.primeMs, t.searchMs, t.tensorMs]) as [number, number, number];
  const totalMs = Math.max(...dp.allGather([t.totalMs]).map((v) => v[0]!));
  return { primeMs, searchMs, tensorMs, totalMs };
}
