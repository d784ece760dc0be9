// Shared Vitest configuration for every xclr package.
//
// - Tests import sibling packages through the `@xclr/source` export condition, so they run
//   on `src/` without a build step (turbo's `transit` task still reruns them when an upstream
//   package changes).
// - Slow tests live in `*.slow.test.ts` files; `npm test` leaves them out, `npm run test:slow`
//   (or XCLR_SLOW_TESTS=1) runs only them.
// - WebGPU tests live in `*.webgpu.test.ts` files; `npm test` leaves them out, `npm run
//   test:webgpu` (or XCLR_WEBGPU_TESTS=1) runs only them (they skip, saying why, without an adapter).
// - `setup.js` pins tfjs to the `cpu` backend with gradients registered, so numerical tests are
//   deterministic and independent of which fast backend a machine has.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export const SOURCE_CONDITION = '@xclr/source';

const setupFile = fileURLToPath(new URL('./setup.js', import.meta.url));

const LANES = {
  default: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.slow.test.ts', 'test/**/*.webgpu.test.ts', '**/node_modules/**'],
  },
  slow: { include: ['test/**/*.slow.test.ts'], exclude: [] },
  webgpu: { include: ['test/**/*.webgpu.test.ts'], exclude: ['**/node_modules/**'] },
};

/**
 * @param {{ slow?: boolean, setup?: boolean, testTimeout?: number }} [options]
 */
export function xclrVitestConfig(options = {}) {
  const slow = options.slow ?? process.env.XCLR_SLOW_TESTS === '1';
  const lane = process.env.XCLR_WEBGPU_TESTS === '1' ? 'webgpu' : slow ? 'slow' : 'default';
  const conditions = [SOURCE_CONDITION, 'node', 'import', 'module', 'default'];
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: [SOURCE_CONDITION] } },
    test: {
      ...LANES[lane],
      setupFiles: options.setup === false ? [] : [setupFile],
      // Generous: CI and developers run on 2 shared cores, where a test may wait minutes for a
      // core; a test must fail on wrong results, never on a slow machine.
      testTimeout: options.testTimeout ?? (slow ? 600_000 : 300_000),
      hookTimeout: 300_000,
      pool: 'forks',
      passWithNoTests: lane !== 'default',
    },
  });
}

export default xclrVitestConfig();
