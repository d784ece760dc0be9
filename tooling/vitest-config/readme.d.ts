/** Runs a package README's first ```js block; resolves to what it logged. */
export function runReadmeExample(readmePath: string, testDir: string): Promise<string[]>;
