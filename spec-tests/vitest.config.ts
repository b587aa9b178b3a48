import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Lives under spec-tests/ so the top level stays package.json, tsconfig.json and the source folders.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['spec-tests/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
