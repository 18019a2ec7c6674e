/**
 * Learning-rate schedules as pure functions of the step: they return the factor that multiplies
 * the base learning rate (HF `get_linear_schedule_with_warmup` / `get_cosine_schedule_with_warmup`).
 */

export interface ScheduleOptions {
  warmupSteps: number;
  totalSteps: number;
}

export type Schedule = (step: number) => number;

/** Linear warm-up from 0 to 1 over `warmupSteps`, then linear decay to 0 at `totalSteps`. */
export function linearWithWarmup({ warmupSteps, totalSteps }: ScheduleOptions): Schedule {
  return (step) => {
    if (step < warmupSteps) return step / Math.max(1, warmupSteps);
    return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  };
}

/** Linear warm-up, then half a cosine from 1 down to `minRatio` at `totalSteps`. */
export function cosineWithWarmup({
  warmupSteps,
  totalSteps,
  minRatio = 0,
}: ScheduleOptions & { minRatio?: number }): Schedule {
  return (step) => {
    if (step < warmupSteps) return step / Math.max(1, warmupSteps);
    const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    return minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
}

export function constant(): Schedule {
  return () => 1;
}
