/**
 * PyTorch's initialisers as `Init` values, so a model written after a PyTorch reference starts from
 * the same distributions: Xavier (Glorot) normal / uniform, and the default U(±1/√fan_in) that
 * Linear, Conv and GRU layers draw their weights and biases from.
 */
import { normalInit, uniformInit, type Init } from "./param-store.js";

/** PyTorch's fans of a weight [out, in, ...kernel]: in · receptive field, out · receptive field. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`fan in/out need a weight of rank >= 2, got shape [${shape.join(",")}]`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/** N(0, 2 / (fan_in + fan_out)): `torch.nn.init.xavier_normal_`. */
export function xavierNormal(shape: readonly number[]): Init {
  const { fanIn, fanOut } = fans(shape);
  return normalInit(Math.sqrt(2 / (fanIn + fanOut)));
}

/** U(±√(6 / (fan_in + fan_out))): `torch.nn.init.xavier_uniform_`. */
export function xavierUniform(shape: readonly number[]): Init {
  const { fanIn, fanOut } = fans(shape);
  return uniformInit(Math.sqrt(6 / (fanIn + fanOut)));
}

/** U(±1/√fan_in): PyTorch's default for Linear / Conv weights (kaiming_uniform with a = √5) and biases. */
export function torchDefault(fanIn: number): Init {
  return uniformInit(1 / Math.sqrt(fanIn));
}
