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

/** The longest description an error message quotes; longer ones are cut. */
const MAX_DESCRIPTION = 200;

/**
 * Describes a value for an error message: strings quoted, arrays and plain objects as JSON
 * (holes, NaN and infinities spelled out), functions, symbols, bigints and boxed primitives by
 * what they are; cut to about 200 characters.
 */
export function describe(value: unknown): string {
  const text = describeUncut(value);
  return text.length <= MAX_DESCRIPTION
    ? text
    : `${text.slice(0, MAX_DESCRIPTION)}... (${text.length} characters)`;
}

function describeUncut(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `'${value}'`;
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'symbol':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'function':
      return value.name ? `the function ${value.name}` : 'a function';
  }
  if (value === null) return 'null';
  if (value instanceof Number || value instanceof String || value instanceof Boolean) {
    return `new ${value.constructor.name}(${describeUncut(value.valueOf())})`;
  }
  if (Array.isArray(value) && value.length > MAX_DESCRIPTION) {
    return `an array of ${value.length} entries, ${describeUncut(value.slice(0, 8))}...`;
  }
  try {
    return JSON.stringify(value, (_, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return `<${v}>`;
      if (
        typeof v === 'function' ||
        typeof v === 'symbol' ||
        typeof v === 'bigint' ||
        v === undefined
      ) {
        return `<${describeUncut(v)}>`;
      }
      return v;
    }).replace(/"<([^>]*)>"/g, '$1');
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
    throw new ValueError(`${name} must be an integer >= ${min}, but got ${describe(value)}.`);
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
    throw new ValueError(
      `${what} would have shape ${describe(shape)}, ${size} elements: more ` +
        `than the ${MAX_TENSOR_SIZE} a tfjs tensor can hold.`
    );
  }
}
