/**
 * Word pools of the synthetic music catalogue. Each genre has its own vocabulary, so an artist's
 * genre can be read from the words of its name and series (the latent taste is inferable from
 * the history titles), while the words stay plain English that any byte-level BPE encodes cheaply.
 */

export interface GenreWords {
  genre: string;
  /** First word of artist names. */
  artistA: readonly string[];
  /** Second word of artist names. */
  artistB: readonly string[];
  /** Words of series and album names. */
  release: readonly string[];
}

export const GENRES: readonly GenreWords[] = [
  {
    genre: "Jazz",
    artistA: ["Velvet", "Smoky", "Blue", "Quiet", "Golden", "Late"],
    artistB: ["Quartet", "Trio", "Lounge", "Avenue", "Club", "Ensemble"],
    release: ["Moonlight", "Sessions", "Standards", "Swing", "Bourbon", "Uptown", "Nightcap", "Brass"],
  },
  {
    genre: "Rock",
    artistA: ["Iron", "Wild", "Broken", "Electric", "Stone", "Rusty"],
    artistB: ["Riders", "Wolves", "Engines", "Kings", "Rebels", "Arrows"],
    release: ["Highway", "Thunder", "Anthems", "Garage", "Asphalt", "Amplified", "Outlaw", "Roads"],
  },
  {
    genre: "Electronic",
    artistA: ["Neon", "Digital", "Crystal", "Pulse", "Laser", "Static"],
    artistB: ["Circuit", "Drift", "Signal", "Motion", "Grid", "Echo"],
    release: ["Tides", "Frequencies", "Patterns", "Orbit", "Glow", "Synthetic", "Afterhours", "Binary"],
  },
  {
    genre: "Folk",
    artistA: ["Willow", "Meadow", "Autumn", "Little", "Cedar", "River"],
    artistB: ["Band", "Sisters", "Brothers", "Hollow", "Fields", "Pines"],
    release: ["Harvest", "Hearth", "Ballads", "Country", "Lanterns", "Homeward", "Prairie", "Campfire"],
  },
  {
    genre: "Hip Hop",
    artistA: ["Young", "Lil", "Big", "Street", "Loud", "Fresh"],
    artistB: ["Prophet", "Cipher", "Flow", "Kid", "Legend", "Hustle"],
    release: ["Mixtape", "Chronicles", "Blocks", "Cypher", "Bars", "Concrete", "Boombox", "Hustlers"],
  },
  {
    genre: "Classical",
    artistA: ["Vienna", "Royal", "Berlin", "Prague", "Chamber", "Sacred"],
    artistB: ["Orchestra", "Philharmonic", "Choir", "Strings", "Soloists", "Consort"],
    release: ["Symphonies", "Sonatas", "Concertos", "Preludes", "Nocturnes", "Requiem", "Overtures", "Baroque"],
  },
  {
    genre: "Soul",
    artistA: ["Sweet", "Smooth", "Sugar", "Honey", "Deep", "Sunday"],
    artistB: ["Sound", "Revue", "Singers", "Spirit", "Hearts", "Groove"],
    release: ["Heartbeat", "Gospel", "Soulful", "Tender", "Devotion", "Rhythm", "Velour", "Sunrise"],
  },
  {
    genre: "Metal",
    artistA: ["Grim", "Dark", "Steel", "Blood", "Frost", "Doom"],
    artistB: ["Legion", "Throne", "Reaper", "Forge", "Serpent", "Crown"],
    release: ["Ashes", "Darkness", "Storm", "Chaos", "Inferno", "Abyss", "Wrath", "Oblivion"],
  },
];

export const FORMATS = ["CD", "Vinyl", "Cassette"] as const;
export type Format = (typeof FORMATS)[number];

/** Compilation titles that several items share (as "Greatest Hits" does in the real CDs data). */
export const SHARED_COMPILATION_TITLES = ["Greatest Hits (CD)", "The Ultimate Collection (Vinyl)"] as const;
