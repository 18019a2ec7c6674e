/**
 * The rows every method reads (history item ids → target id), as vocabulary indices. A row the
 * baselines cannot use stops with an error naming the split, the row and the user; rows read from
 * files were already checked by the data reader, whose errors name file and line (and which
 * `--skip-bad-rows` skips), so these errors are for rows built in code.
 */
import type { Example } from "../data/types.js";
import type { ItemVocabulary, UserVocabulary } from "./vocabulary.js";
import { UNKNOWN_USER } from "./vocabulary.js";

export interface SequenceRow {
  /** History item indices, oldest first (at least one). */
  history: Int32Array;
  /** Target item index. */
  target: number;
  /** User index (UNKNOWN_USER when the model has no users or training never saw this one). */
  user: number;
}

/** Converts examples to index rows; `split` names them in errors ("train", "test"). */
export function sequenceRows(
  examples: readonly Example[],
  items: ItemVocabulary,
  users: UserVocabulary | null,
  split: string,
): SequenceRow[] {
  return examples.map((example, i) => {
    const where = `${split} row ${i + 1} (user ${JSON.stringify(example.userId)})`;
    const index = (id: unknown, field: string): number => {
      if (typeof id !== "number" || !Number.isInteger(id)) {
        throw new Error(
          `${where}: ${field} has no integer item id (got ${JSON.stringify(id)}); the baselines need item ids (a dataset in the D3 or MiniOneRec layout)`,
        );
      }
      const found = items.indexOf(id);
      if (found === undefined) {
        throw new Error(
          `${where}: ${field} item id ${id} is not in the catalogue (${items.size} items); expected an id listed in the info file`,
        );
      }
      return found;
    };
    if (example.history.length === 0) {
      throw new Error(`${where}: empty history; expected at least one history item`);
    }
    return {
      history: Int32Array.from(example.history, (item, j) => index(item.id, `history item ${j + 1}`)),
      target: index(example.target.id, "the target"),
      user: users ? users.indexOf(example.userId) : UNKNOWN_USER,
    };
  });
}
