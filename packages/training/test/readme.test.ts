import { fileURLToPath } from 'node:url';
import { runReadmeExample } from '@xclr/vitest-config/readme';
import { expect, it } from 'vitest';

it('the README example trains an X-CLR encoder on random tensors', async () => {
  const logged = await runReadmeExample(
    fileURLToPath(new URL('../README.md', import.meta.url)),
    fileURLToPath(new URL('.', import.meta.url)),
  );
  const match = logged.join('\n').match(/^20 steps, X-CLR loss (\d+\.\d+) → (\d+\.\d+)$/m);
  expect(match, logged.join('\n')).not.toBeNull();
  expect(Number(match![2])).toBeLessThan(Number(match![1]));
});
