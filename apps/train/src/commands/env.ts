import { type BackendRequest, describeEnvironment, installedVersion, useFastestBackend } from '@xclr/backend';
import { describeDataSources } from '@xclr/data';
import { describeTextEncoders } from '@xclr/graph';

/** `xclr env`, what a bug report needs: versions, backend, cores, and whether the offline assets are there. */
export async function envReport(backend: BackendRequest = 'auto'): Promise<string> {
  const choice = await useFastestBackend({ backend });
  const lines = [
    `xclr ${installedVersion('@xclr/train')}`,
    ...describeEnvironment(choice),
    ...describeTextEncoders(),
    ...describeDataSources(),
  ];
  return lines.join('\n');
}
