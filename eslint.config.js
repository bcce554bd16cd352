// ESLint flat config. The block for src/raft keeps the consensus core pure: no clocks, timers,
// randomness, process access or I/O modules (see docs/design.md, "The pure core").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const impureModules = ['node:*', 'fs', 'net', 'http', 'http2', 'child_process', 'worker_threads',
  'pino', 'better-sqlite3', '@grpc/*'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'runs/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'error' },
  },
  {
    files: ['src/raft/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: impureModules }],
      'no-restricted-globals': ['error', 'Date', 'setTimeout', 'setInterval', 'setImmediate',
        'clearTimeout', 'clearInterval', 'process', 'performance', 'queueMicrotask'],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'Use the injected Rng.' }],
    },
  },
);
