import { tileOnHeap } from '../ops/tile.js';
import { heapKernel } from './kernel-config.js';

/** Tile by doubling copies. */
export const tileConfig = heapKernel('Tile', (backend, { x }, attrs) => tileOnHeap(backend, x, attrs));
