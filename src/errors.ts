/**
 * Thrown for every invalid argument, shape, dtype or config given to the op, the layer or the
 * interop helpers. It extends `Error` and carries the name `ValueError`, like tfjs-layers' own
 * error, so `catch (e) { if (e.name === 'ValueError') ... }` works for both.
 */
export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
    // Keeps `instanceof` working when the package is compiled to ES5-style classes.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** Describes a value for an error message: arrays and objects as JSON, the rest as text. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || value == null) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/**
 * Checks that `value` is a whole number >= `min`, else throws a `ValueError` that names
 * `name`, the value and what is allowed.
 */
export function checkInteger(name: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ValueError(
        `${name} must be an integer >= ${min}, but got ${describe(value)}.`);
  }
  return value;
}

/** The most elements one tensor may have: tfjs indexes tensors with 32-bit integers. */
export const MAX_TENSOR_SIZE = 2 ** 31 - 1;

/**
 * Throws a `ValueError` naming `what` when a tensor of `shape` would be too large to allocate,
 * so an absurd config fails at once instead of after an attempted allocation.
 */
export function checkSize(what: string, shape: number[]): void {
  const size = shape.reduce((a, b) => a * b, 1);
  if (!(size <= MAX_TENSOR_SIZE)) {
    throw new ValueError(`${what} would have shape ${describe(shape)}, ${size} elements: more ` +
                         `than the ${MAX_TENSOR_SIZE} a tfjs tensor can hold.`);
  }
}
