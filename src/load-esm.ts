/**
 * `import()` of an ES-module-only package (conf) from code that is also bundled into the
 * hook's CommonJS bundle. The launcher runs that bundle through vm.Script to keep V8's compiled
 * code between runs (see bin/), and code compiled that way cannot use `import()` on Node 20;
 * the launcher then lends its own under this symbol. Everywhere else (the helper, the CLI,
 * tests) it is plain `import()`.
 */
export const IMPORT_SYMBOL = Symbol.for('git-credential-bitbucket.import');

export function loadEsm<T>(specifier: string): Promise<T> {
  const lent = (globalThis as Record<symbol, unknown>)[IMPORT_SYMBOL];
  return typeof lent === 'function'
    ? (lent as (s: string) => Promise<T>)(specifier)
    : (import(specifier) as Promise<T>);
}
