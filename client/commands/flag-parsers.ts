// commander argument parsers: a bad value becomes commander's usage error naming the flag (exit 64).
import { InvalidArgumentError } from 'commander';
import { DurationError, parseDuration } from '../duration.js';

export const integer = (value: string): number => {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError('must be an integer.');
  return Number(value);
};

export const decimal = (value: string): number => {
  if (!/^\d+(\.\d+)?$/.test(value.trim())) throw new InvalidArgumentError('must be a number, e.g. 20 or 0.5.');
  return Number(value);
};

export const duration = (value: string): number => {
  try {
    return parseDuration(value);
  } catch (err) {
    if (err instanceof DurationError) throw new InvalidArgumentError(`${err.message}.`);
    throw err;
  }
};

/** A repeatable flag: every value, in order. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
