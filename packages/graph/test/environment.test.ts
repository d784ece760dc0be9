import { describe, expect, it } from 'vitest';
import { describeTextEncoders } from '../src/index.js';

describe('describeTextEncoders', () => {
  it('finds the bundled USE-lite weights and names the transformers.js version', () => {
    const [useLite, transformers] = describeTextEncoders();
    expect(useLite).toMatch(/^text encoder use-lite: found \(.*model-embeddings-en\/dist\/model\.json\)$/);
    expect(transformers).toMatch(/^transformers\.js: \d+\.\d+\.\d+/); // installed here as a dev dependency
  });
});
