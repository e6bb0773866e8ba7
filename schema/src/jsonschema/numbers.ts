/** Exact rational arithmetic on JSON numbers, for `multipleOf` reasoning without floating-point drift. */

/** A rational number `n / d` with `d > 0`. */
export interface Fraction {
  readonly n: bigint;
  readonly d: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** The exact value of a finite double's shortest decimal form ("0.1" → 1/10). */
export function toFraction(x: number): Fraction {
  const text = String(x);
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!m) throw new RangeError(`not a finite number: ${text}`);
  const digits = BigInt(`${m[2]}${m[3] ?? ""}`) * (m[1] === "-" ? -1n : 1n);
  const exp = -(m[3]?.length ?? 0) + Number(m[4] ?? 0);
  let n = digits;
  let d = 1n;
  if (exp >= 0) n *= 10n ** BigInt(exp);
  else d = 10n ** BigInt(-exp);
  const g = gcd(n, d) || 1n;
  return { n: n / g, d: d / g };
}

/** Whether `x` is an integer multiple of `m` (exactly, on the decimal forms). */
export function isMultipleOf(x: number, m: number): boolean {
  if (m === 0) return false;
  const a = toFraction(x);
  const b = toFraction(m);
  // x / m = (a.n * b.d) / (a.d * b.n)
  return (a.n * b.d) % (a.d * b.n) === 0n;
}

/** The least common multiple of positive rationals (the step every multiple of all of them shares). */
export function lcmOf(values: readonly number[]): Fraction | undefined {
  let acc: Fraction | undefined;
  for (const v of values) {
    const f = toFraction(Math.abs(v));
    if (f.n === 0n) continue;
    if (!acc) {
      acc = f;
      continue;
    }
    // lcm(a/b, c/d) = lcm(a, c) / gcd(b, d) for reduced fractions
    const num = (acc.n / gcd(acc.n, f.n)) * f.n;
    const den = gcd(acc.d, f.d);
    const g = gcd(num, den) || 1n;
    acc = { n: num / g, d: den / g };
  }
  return acc;
}

/** Whether the rational `f` is an integer multiple of `m`. */
export function fractionIsMultipleOf(f: Fraction, m: number): boolean {
  const b = toFraction(m);
  if (b.n === 0n) return false;
  return (f.n * b.d) % (f.d * b.n) === 0n;
}

/** The fraction as a double. */
export function fractionToNumber(f: Fraction): number {
  return Number(f.n) / Number(f.d);
}
