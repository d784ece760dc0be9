import { createRequire } from 'node:module';

// `fashion-mnist`, `mnist` and `sharp` are optional peer dependencies: nothing imports them at
// load time, so the loader, the augmentations and the IDX reader work without them. Each is
// loaded at its point of use, through `optionalPackages`, and a missing one is an error that
// says what needs it and how to install it.

/** How optional packages are found (a seam for tests; not exported from the package). */
export const optionalPackages = {
  /** `import(name)`. */
  import: (name: string): Promise<unknown> => import(name),
  /** `require.resolve(specifier)`, from this package. */
  resolve: (specifier: string): string => createRequire(import.meta.url).resolve(specifier),
};

/** An optional package that a feature needs is not installed. */
export class MissingOptionalPackageError extends Error {
  readonly code = 'XCLR_MISSING_OPTIONAL_PACKAGE';
  constructor(
    readonly packageName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MissingOptionalPackageError';
  }
}

/** Whether `err` says that `name` itself (not one of its own imports) cannot be found. */
export function isNotFound(err: unknown, name: string): boolean {
  const { code, message } = (err ?? {}) as { code?: string; message?: string };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  return new RegExp(`['"]${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(/[^'"]*)?['"]`).test(String(message));
}

export const missingPackage = (name: string, needs: string, hint = '', cause?: unknown) =>
  new MissingOptionalPackageError(
    name,
    `${needs} needs the optional package ${name}: npm install ${name}${hint ? ` (${hint})` : ''}`,
    { cause },
  );

/** The folder of an installed optional package, or the missing-package error. */
export function optionalPackageDir(name: string, needs: string, hint?: string): string {
  try {
    return optionalPackages.resolve(`${name}/package.json`).replace(/[\\/]package\.json$/, '');
  } catch (err) {
    if (isNotFound(err, name)) throw missingPackage(name, needs, hint, err);
    throw err;
  }
}
