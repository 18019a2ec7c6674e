/**
 * The synthetic catalogue: artists (each of one genre) with album series (Vol. 1..n) and standalone
 * albums, each release sold in one to three formats, plus a few compilations whose titles several
 * items share. Releases get a long-tailed (Zipf) popularity; first volumes are entry points and
 * more popular than later ones.
 */
import type { Rng } from "../rng.js";
import { GENRES, SHARED_COMPILATION_TITLES, type Format } from "./words.js";

export interface SyntheticRelease {
  index: number;
  genre: number;
  /** Undefined for compilations. */
  artist: number | undefined;
  /** Series index within the whole catalogue, when the release is a volume of a series. */
  series: number | undefined;
  volume: number | undefined;
  /** Title without the format suffix. */
  name: string;
  formats: Format[];
  popularity: number;
  /** Item index per format (same order as `formats`). */
  items: number[];
}

export interface SyntheticArtist {
  index: number;
  name: string;
  genre: number;
  releases: number[];
}

export interface SyntheticSeries {
  index: number;
  artist: number;
  /** Release indexes in volume order. */
  volumes: number[];
}

export interface SyntheticItemInfo {
  index: number;
  release: number;
  format: Format;
  title: string;
}

export interface SyntheticCatalogue {
  artists: SyntheticArtist[];
  series: SyntheticSeries[];
  releases: SyntheticRelease[];
  items: SyntheticItemInfo[];
}

export interface CatalogueOptions {
  /** Exact number of items (release × format) to generate. */
  items: number;
  /** Zipf exponent of release popularity (default 1.0). */
  zipf?: number;
}

function formatsFor(rng: Rng): Format[] {
  // CD always; vinyl for about half the releases, cassette for a few.
  const formats: Format[] = ["CD"];
  if (rng.bernoulli(0.55)) formats.push("Vinyl");
  if (rng.bernoulli(0.15)) formats.push("Cassette");
  return formats;
}

export function generateCatalogue(rng: Rng, options: CatalogueOptions): SyntheticCatalogue {
  const target = options.items;
  if (!Number.isInteger(target) || target < 20)
    throw new Error(`the synthetic catalogue needs at least 20 items, got ${target}`);
  const cat: SyntheticCatalogue = { artists: [], series: [], releases: [], items: [] };
  const usedArtistNames = new Set<string>();

  const addRelease = (
    r: Omit<SyntheticRelease, "index" | "items" | "popularity">,
    titleOf: (f: Format) => string,
  ): SyntheticRelease | undefined => {
    const remaining = target - cat.items.length;
    if (remaining <= 0) return undefined;
    const release: SyntheticRelease = {
      ...r,
      formats: r.formats.slice(0, remaining),
      index: cat.releases.length,
      items: [],
      popularity: 0,
    };
    for (const format of release.formats) {
      release.items.push(cat.items.length);
      cat.items.push({ index: cat.items.length, release: release.index, format, title: titleOf(format) });
    }
    cat.releases.push(release);
    return release;
  };

  // Compilations first (about 3% of items): shared titles, each tied to a genre the title does not show.
  const compilations = Math.max(2, Math.round(target * 0.03));
  for (let c = 0; c < compilations; c++) {
    const title = SHARED_COMPILATION_TITLES[c % SHARED_COMPILATION_TITLES.length]!;
    const format: Format = title.endsWith("(Vinyl)") ? "Vinyl" : "CD";
    addRelease(
      {
        genre: c % GENRES.length,
        artist: undefined,
        series: undefined,
        volume: undefined,
        name: title.replace(/ \(\w+\)$/, ""),
        formats: [format],
      },
      () => title,
    );
  }

  for (let a = 0; cat.items.length < target; a++) {
    const genre = a % GENRES.length;
    const words = GENRES[genre]!;
    let name = "";
    for (let tries = 0; tries < 100 && (name === "" || usedArtistNames.has(name)); tries++) {
      name = `${rng.pick(words.artistA)} ${rng.pick(words.artistB)}`;
    }
    if (usedArtistNames.has(name)) name = `${name} ${a}`;
    usedArtistNames.add(name);
    const artist: SyntheticArtist = { index: cat.artists.length, name, genre, releases: [] };
    cat.artists.push(artist);
    const usedNames = new Set<string>();
    const releaseName = (): string => {
      let n = "";
      for (let tries = 0; tries < 100 && (n === "" || usedNames.has(n)); tries++) {
        const [w1, w2] = rng.sample(words.release, 2) as [string, string];
        n = rng.bernoulli(0.5) ? w1 : `${w1} ${w2}`;
      }
      usedNames.add(n);
      return n;
    };
    const seriesCount = rng.bernoulli(0.35) ? 2 : 1;
    for (let s = 0; s < seriesCount; s++) {
      const sName = releaseName();
      const volumes = rng.between(2, 4);
      const series: SyntheticSeries = { index: cat.series.length, artist: artist.index, volumes: [] };
      for (let v = 1; v <= volumes; v++) {
        const relName = `${sName} Vol. ${v}`;
        const rel = addRelease(
          { genre, artist: artist.index, series: series.index, volume: v, name: relName, formats: formatsFor(rng) },
          (f) => `${name} - ${relName} (${f})`,
        );
        if (!rel) break;
        series.volumes.push(rel.index);
        artist.releases.push(rel.index);
      }
      if (series.volumes.length > 0) cat.series.push(series);
    }
    const albums = rng.between(1, 2);
    for (let b = 0; b < albums; b++) {
      const album = releaseName();
      const rel = addRelease(
        { genre, artist: artist.index, series: undefined, volume: undefined, name: album, formats: formatsFor(rng) },
        (f) => `${name} - ${album} (${f})`,
      );
      if (rel) artist.releases.push(rel.index);
    }
  }

  // Zipf popularity over a random rank order; later volumes are bought mostly by continuation.
  const ranks = rng.shuffle(cat.releases.map((r) => r.index));
  const s = options.zipf ?? 1.0;
  ranks.forEach((releaseIndex, rank) => {
    const rel = cat.releases[releaseIndex]!;
    const volumeDamping = rel.volume === undefined ? 1 : Math.pow(0.5, rel.volume - 1);
    rel.popularity = volumeDamping / Math.pow(rank + 1, s);
  });
  return cat;
}
