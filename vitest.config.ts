import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The self-test installs real releases and waits on real servers: it runs once, in beforeAll.
    testTimeout: 60_000,
    hookTimeout: 20 * 60_000,
    pool: 'forks',
    // Timing-sensitive scenarios get the machine's cores to themselves: test files run one at a time.
    fileParallelism: false,
  },
});
