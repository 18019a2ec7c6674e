/**
 * Child process for the serve tests: sends `count` POST /v1/recommend requests at once, each on its
 * own connection, and prints their status codes as JSON. A separate process, because a client
 * sharing the server's event loop connects one socket per turn of the loop (and a turn of a busy
 * server lasts one decoding batch), so its requests would trickle in instead of arriving together.
 *
 *   node dist/test/support/post-burst.js URL COUNT BODY_JSON
 */
import { postRecommend } from "./serve-fixture.js";

const [url, count, body] = process.argv.slice(2);
const answers = await Promise.all(
  Array.from({ length: Number(count) }, () => postRecommend(url!, JSON.parse(body!) as unknown)),
);
console.log(JSON.stringify(answers.map((a) => a.status)));
