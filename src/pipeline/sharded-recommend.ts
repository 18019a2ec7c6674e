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
  const { titles, timing } = shardedDecoding(dp, users, (share) => recommend(rec, trie, share, opts));
  return { titles, timing };
}

/**
 * Any decoding run on each rank's share of the users: titles gathered back in the users' order and
 * the job's timing; other fields of the result stay the rank's own (gather them as needed).
 */
export function shardedDecoding<R extends Pick<Recommendations, "titles" | "timing">>(
  dp: DataParallel,
  users: readonly Example[],
  decodeShard: (share: readonly Example[]) => R,
): R {
  const out = decodeShard(dp.shard(users));
  return { ...out, titles: dp.gatherShardsJson(out.titles), timing: jobTiming(dp, out.timing) };
}

/** The job's decoding time: wall time of the slowest rank, per-stage times summed over ranks. */
function jobTiming(dp: DataParallel, t: Recommendations["timing"]): Recommendations["timing"] {
  if (!dp.isDistributed) return t;
  const [primeMs, searchMs, tensorMs] = dp.sum([t.primeMs, t.searchMs, t.tensorMs]) as [number, number, number];
  const totalMs = Math.max(...dp.allGather([t.totalMs]).map((v) => v[0]!));
  return { primeMs, searchMs, tensorMs, totalMs };
}
