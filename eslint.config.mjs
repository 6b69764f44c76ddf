import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// Process runners: only src/git/ may use them.
const RUNNERS = ['node:child_process', 'child_process', 'execa', 'simple-git'];
const RUNNER_PATTERN = '/^(node:)?child_process$|^execa$|^simple-git$/';
const RUNNER_MESSAGE =
  'Only src/git/ runs git (and other processes): use gitSync (src/git/repo.ts) or gitAsync (src/git/async.ts).';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // protocol code must name control characters to refuse them
      'no-control-regex': 'off',
    },
  },
  {
    // src/git/ is the only place that starts git (or any process): one interface, synchronous for
    // the hot paths and asynchronous for commands (see src/git/repo.ts, src/git/async.ts and
    // docs/architecture.md). Tests, scripts and benchmarks start processes of their own.
    files: ['src/**/*.ts'],
    ignores: ['src/git/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: RUNNERS.map((name) => ({ name, message: RUNNER_MESSAGE })),
        },
      ],
      'no-restricted-syntax': [
        'error',
        // process.getBuiltinModule('node:child_process'), import('execa'), loadEsm('simple-git'), require(...)
        ...['getBuiltinModule', 'loadEsm', 'require'].flatMap((fn) => [
          {
            selector: `CallExpression[callee.name='${fn}'][arguments.0.value=${RUNNER_PATTERN}]`,
            message: RUNNER_MESSAGE,
          },
          {
            selector: `CallExpression[callee.property.name='${fn}'][arguments.0.value=${RUNNER_PATTERN}]`,
            message: RUNNER_MESSAGE,
          },
        ]),
        { selector: `ImportExpression[source.value=${RUNNER_PATTERN}]`, message: RUNNER_MESSAGE },
      ],
    },
  },
  {
    // the launcher is CommonJS on purpose: it starts faster (see bin/git-credential-bitbucket.cjs)
    files: ['bin/**/*.js', 'bin/**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
