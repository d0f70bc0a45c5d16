/**
 * Option-value parsers for commander. A value that does not parse (a size like `-1GiB` or
 * `12XB`, an enum value that is not one of the choices, a boolean that is not true/false)
 * throws InvalidArgumentError, which the program turns into exit 2. Values that parse but
 * are out of range (`0`, `65GiB`) are checked by the rules of SPEC section 1 and fail the
 * operation (exit 1), with the engine's own message.
 */
import { InvalidArgumentError } from 'commander';
import { isLabError, parseDiskSize, parseMemorySize } from '../engine';

function sizeParser(parse: (text: string) => number): (text: string) => number {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      if (isLabError(error)) throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}

/** `4GiB`, `4GB` and `4` all mean 4 GiB; returns GiB (maybe fractional: the rules refuse it). */
export const parseDiskSizeOption = sizeParser(parseDiskSize);

/** `1GiB`, `512MiB`, `512MB`, or bytes. */
export const parseMemoryOption = sizeParser(parseMemorySize);

/** Case-insensitive choice (PowerShell enums are); returns the canonical spelling. */
export function choiceParser<T extends string | number>(choices: readonly T[]): (text: string) => T {
  return (text) => {
    const found = choices.find((choice) => String(choice).toLowerCase() === text.trim().toLowerCase());
    if (found === undefined) throw new InvalidArgumentError(`Allowed values: ${choices.join(', ')}.`);
    return found;
  };
}

/** `true` / `false` (also `$true` / `$false`, as PowerShell users type them). */
export function parseBoolean(text: string): boolean {
  const value = text.trim().toLowerCase().replace(/^\$/, '');
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError('Use true or false.');
}
