import type sharpFn from 'sharp';
import { isNotFound, missingPackage, optionalPackages } from './optional.js';

// Kept apart from optional.ts, which the package's root entry re-exports: only this module's
// declarations name sharp's types, so a TypeScript consumer without sharp type-checks.

/** The sharp image function (a CommonJS default export; the import above is type-only). */
type SharpFn = typeof sharpFn;

/** sharp, imported on first use; `needs` says what needs it in the error when it is missing. */
export async function loadSharp(needs: string): Promise<SharpFn> {
  let mod: unknown;
  try {
    mod = await optionalPackages.import('sharp');
  } catch (err) {
    if (isNotFound(err, 'sharp')) throw missingPackage('sharp', needs, '', err);
    throw err;
  }
  const m = mod as { default?: SharpFn } & SharpFn;
  return m.default ?? m;
}
