import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@xclr/vitest-config/readme';
import { expect, it } from 'vitest';

it('the README usage block runs', async () => {
  const logged = await runReadmeExample(
    fileURLToPath(new URL('../README.md', import.meta.url)),
    fileURLToPath(new URL('.', import.meta.url)),
  );
  expect(logged.length).toBeGreaterThan(0);
});
