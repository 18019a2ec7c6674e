/** Minimal `--name value` / `--flag` argument reading for the benchmark scripts. */

export function argValue(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

export function argNumber(argv: readonly string[], name: string, fallback: number): number {
  const v = argValue(argv, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got "${v}"`);
  return n;
}

export function argFlag(argv: readonly string[], name: string): boolean {
  return argv.includes(`--${name}`);
}
