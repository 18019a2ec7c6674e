/**
 * Synthetic users and their purchase sequences. Each user has latent preferences that are never
 * written down and must be inferred from the history:
 *   - a taste over 2–3 genres (weights 0.6 / 0.3 / 0.1 or 0.65 / 0.35),
 *   - 2 favourite artists within those genres,
 *   - a preferred format (CD 45%, Vinyl 40%, Cassette 15%), kept with probability `formatLoyalty`.
 * Each next purchase is, in this order of precedence:
 *   series    — with probability `seriesContinuation`, when one of the last 3 purchases is volume k of
 *               a series whose volume k+1 exists and is not owned: buy volume k+1 (of the most recent);
 *   artist    — with probability `favouriteArtist`: a release of a favourite artist (by popularity);
 *   genre     — with probability `genre`: a release of a taste genre (genre by weight, then popularity);
 *   popular   — otherwise: any release by global (Zipf) popularity — the noise.
 * Owned releases are not bought again. The format is the preferred one when the release has it and
 * the user is loyal this time, else a uniform pick among the release's formats.
 */
import type { Rng } from "../rng.js";
import type { SyntheticCatalogue, SyntheticRelease } from "./catalogue.js";
import { FORMATS, GENRES, type Format } from "./words.js";

export type PurchaseReason = "first" | "series" | "artist" | "genre" | "popular";

export interface BehaviourOptions {
  seriesContinuation: number;
  favouriteArtist: number;
  genre: number;
  formatLoyalty: number;
  /** Mean number of purchases per user (at least 3 each). */
  meanLength: number;
  /** Mean days between purchases (exponential, rounded to whole days, so same-day ties occur). */
  meanGapDays: number;
  /**
   * The observation period in days: users start on a uniform day within it and nothing is observed
   * after it (as the reference's window end cuts real sequences), so late starters have short histories.
   */
  spanDays: number;
  /** Unix seconds of day 0 (midnight UTC). */
  startTime: number;
}

export const DEFAULT_BEHAVIOUR: BehaviourOptions = {
  seriesContinuation: 0.6,
  favouriteArtist: 0.35,
  genre: 0.7,
  formatLoyalty: 0.9,
  meanLength: 11,
  meanGapDays: 12,
  spanDays: 730,
  startTime: 1451606400, // 2016-01-01
};

export interface SyntheticUser {
  id: string;
  genres: number[];
  genreWeights: number[];
  favouriteArtists: number[];
  format: Format;
}

export interface Purchase {
  item: number;
  /** Unix seconds. */
  time: number;
  rating: number;
  reason: PurchaseReason;
}

const DAY = 86400;

export function generateUser(rng: Rng, cat: SyntheticCatalogue, index: number): SyntheticUser {
  const genreCount = rng.bernoulli(0.6) ? 2 : 3;
  const genres = rng.sample(
    GENRES.map((_, g) => g),
    genreCount,
  );
  const genreWeights = genreCount === 2 ? [0.65, 0.35] : [0.6, 0.3, 0.1];
  const favouriteArtists: number[] = [];
  for (let tries = 0; favouriteArtists.length < 2 && tries < 50; tries++) {
    const genre = genres[rng.weighted(genreWeights)]!;
    const artists = cat.artists.filter((a) => a.genre === genre && !favouriteArtists.includes(a.index));
    if (artists.length === 0) continue;
    const weights = artists.map((a) => a.releases.reduce((s, r) => s + cat.releases[r]!.popularity, 0));
    favouriteArtists.push(artists[rng.weighted(weights)]!.index);
  }
  const format = FORMATS[rng.weighted([0.45, 0.4, 0.15])]!;
  return { id: `U${String(index).padStart(5, "0")}`, genres, genreWeights, favouriteArtists, format };
}

function pickByPopularity(rng: Rng, releases: readonly SyntheticRelease[]): SyntheticRelease | undefined {
  if (releases.length === 0) return undefined;
  return releases[rng.weighted(releases.map((r) => r.popularity))];
}

/** The next volume of the most recent series purchase among the last 3, if it exists and is not owned. */
export function openContinuation(
  cat: SyntheticCatalogue,
  recentReleases: readonly number[],
  owned: ReadonlySet<number>,
): SyntheticRelease | undefined {
  for (let i = recentReleases.length - 1; i >= Math.max(0, recentReleases.length - 3); i--) {
    const rel = cat.releases[recentReleases[i]!]!;
    if (rel.series === undefined) continue;
    const next = cat.series[rel.series]!.volumes[rel.volume!];
    if (next === undefined || owned.has(next)) return undefined;
    return cat.releases[next];
  }
  return undefined;
}

export function generatePurchases(
  rng: Rng,
  cat: SyntheticCatalogue,
  user: SyntheticUser,
  b: BehaviourOptions,
): Purchase[] {
  const length = Math.min(60, 3 + Math.round(rng.exponential(Math.max(0, b.meanLength - 3))));
  let day = rng.int(Math.max(1, b.spanDays));
  const owned = new Set<number>();
  const releasesInOrder: number[] = [];
  const purchases: Purchase[] = [];
  const available = (list: readonly SyntheticRelease[]) => list.filter((r) => !owned.has(r.index));
  const byGenre = (): SyntheticRelease | undefined => {
    const genre = user.genres[rng.weighted(user.genreWeights)]!;
    return pickByPopularity(rng, available(cat.releases.filter((r) => r.genre === genre)));
  };
  for (let n = 0; n < length && day < b.spanDays; n++) {
    let reason: PurchaseReason;
    let release: SyntheticRelease | undefined;
    if (n === 0) {
      reason = "first";
      release = byGenre();
    } else {
      const next = openContinuation(cat, releasesInOrder, owned);
      if (next && rng.bernoulli(b.seriesContinuation)) {
        reason = "series";
        release = next;
      } else if (rng.bernoulli(b.favouriteArtist)) {
        reason = "artist";
        release = pickByPopularity(
          rng,
          available(cat.releases.filter((r) => r.artist !== undefined && user.favouriteArtists.includes(r.artist))),
        );
      } else if (rng.bernoulli(b.genre)) {
        reason = "genre";
        release = byGenre();
      } else {
        reason = "popular";
        release = pickByPopularity(rng, available(cat.releases));
      }
      if (!release && reason !== "popular") {
        reason = "popular";
        release = pickByPopularity(rng, available(cat.releases));
      }
    }
    if (!release) break; // the user owns the whole catalogue
    const loyal = release.formats.includes(user.format) && rng.bernoulli(b.formatLoyalty);
    const format = loyal ? user.format : rng.pick(release.formats);
    const item = release.items[release.formats.indexOf(format)]!;
    const rating =
      reason === "series" || reason === "artist" ? (rng.bernoulli(0.8) ? 5 : 4) : rng.pick([3, 4, 4, 5, 5]);
    owned.add(release.index);
    releasesInOrder.push(release.index);
    purchases.push({ item, time: b.startTime + day * DAY, rating, reason });
    day += Math.round(rng.exponential(b.meanGapDays));
  }
  return purchases;
}
