// The small checks every part of loadStream's validation uses: each failure is a ValueError
// that says where in the description it is.
import {describe, ValueError} from '../errors.js';

// Caps on a description's sizes: far above any streamed model, far below exhausting memory.
/** The most channels of an edge, and nodes of a description. */
export const MAX_CHANNELS = 1 << 16;
/** The largest batch. */
export const MAX_BATCH = 1 << 12;
/** The largest frame count of a setting (span, padding, buffer, stride product). */
export const MAX_FRAMES = 1 << 20;

/** A `ValueError` of loadStream saying what is wrong. */
export const bad = (what: string) => new ValueError(`loadStream: ${what}`);

/** Whether `v` is a plain object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return v != null && typeof v === 'object' && !Array.isArray(v);
}

/** A whole number in [min, max], else a ValueError naming where and what. */
export function integer(value: unknown, where: string, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw bad(`${where} must be an integer in [${min}, ${max}], but got ${describe(value)}.`);
  }
  return value as number;
}
