import { xclrVitestConfig } from '@xclr/vitest-config';

export default xclrVitestConfig();
