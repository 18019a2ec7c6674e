/**
 * Gradient checkpointing (PyTorch's reentrant `torch.utils.checkpoint`): a function's forward runs
 * without keeping its activations, and backward recomputes it when the gradient reaches it. The
 * autograd node and the thread hand-over live in the addon (native/src/recompute.cc).
 */
import { N, type Handle } from "./native.js";
import { tidy } from "./scope.js";
import { Tensor } from "./tensor.js";

let checkpointedForwards = 0;

/**
 * Runs `fn(inputs, constants)` once now without recording activations and again, recording, when
 * backward reaches its outputs. Gradients flow to `inputs` and to `params` (the trainable tensors
 * `fn` reads from its closure); `constants` (masks, rotary tables) get none. `fn` must compute the
 * same function both times: randomness inside it replays (the RNG state is restored), and so does
 * the autocast state of the first call.
 */
export function gradientCheckpoint(
  fn: (inputs: Tensor[], constants: Tensor[]) => Tensor[],
  inputs: readonly Tensor[],
  constants: readonly Tensor[],
  params: readonly Tensor[],
): Tensor[] {
  const run = (ins: Handle[], cons: Handle[]): Handle[] => {
    checkpointedForwards++;
    try {
      return tidy(() => {
        const outs = fn(
          ins.map((h) => new Tensor(h)),
          cons.map((h) => new Tensor(h)),
        );
        // The addon takes the outputs' storage over; kept so this scope does not free them first.
        return outs.map((o) => o.keep().handle);
      });
    } finally {
      checkpointedForwards--;
    }
  };
  const handles = (ts: readonly Tensor[]) => ts.map((t) => t.handle);
  const outs = N.checkpoint(run, handles(inputs), handles(constants), handles(params)) as Handle[];
  return outs.map((h) => new Tensor(h));
}

/**
 * True when the running computation is one that backward will go through: autograd is recording,
 * or a checkpointed forward runs unrecorded only to be recomputed later. Training-only behaviour
 * (dropout) keys on this, so the first run and the recomputation agree.
 */
export function isTrainingForward(): boolean {
  return checkpointedForwards > 0 || (N.is_grad_enabled() as boolean);
}

/** Checkpoint nodes still alive (a test's leak check). */
export function liveCheckpointNodes(): number {
  return N.checkpoint_live_nodes() as number;
}
