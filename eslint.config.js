import tseslint from 'typescript-eslint';

// The engine is the pure core: no I/O, no clocks, no Kubernetes or OpenTelemetry types.
const engineForbiddenModules = [
  { group: ['node:*', 'fs', 'net', 'http', 'https', 'child_process', 'timers', 'dgram', 'tls', 'os'], message: 'The engine is pure: I/O belongs at the edges (kube/, export/, replay/).' },
  { group: ['@kubernetes/*', '@opentelemetry/*', '@grpc/*', 'pino', 'prom-client'], message: 'The engine must not depend on Kubernetes, OpenTelemetry or observability packages.' },
  { group: ['../kube/*', '../export/*', '../pipeline/*', '../controller/*', '../replay/*', '../observability/*', '../commands/*'], message: 'Dependency direction: api <- engine <- pipeline <- controller.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'charts/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: engineForbiddenModules }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'The engine has no timers: the caller ticks it.' },
        { name: 'setInterval', message: 'The engine has no timers: the caller ticks it.' },
        { name: 'process', message: 'The engine is pure.' },
        { name: 'fetch', message: 'The engine is pure.' }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Time is injected: use the clock argument.' },
        { object: 'Math', property: 'random', message: 'The engine is deterministic.' }],
    },
  },
);
