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

/**
 * Set by the hook when a run ends in an unexpected error. The launcher then drops the code
 * cache this run used instead of putting it back: V8 checks only a cache's header, and
 * damaged compiled code may fail without crashing Node (see bin/).
 */
export const FAILED_SYMBOL = Symbol.for('git-credential-bitbucket.failed');

export function markRunFailed(): void {
  (globalThis as Record<symbol, unknown>)[FAILED_SYMBOL] = true;
}
