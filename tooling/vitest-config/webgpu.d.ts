/** Runs `activate`; resolves to null, or to why webgpu cannot run here (printed once as `<lane> skipped: <reason>`). */
export function webgpuSkipReason(activate: () => Promise<unknown>, lane?: string): Promise<string | null>;
