import { describe, expect, it } from 'vitest';
import { type EvalResult, headlineScores, scoreCsv, scoreTable } from '../src/protocol.js';

const result = {
  knn: { 1: 0.5, 20: 0.8 },
  linear: { top1: 0.75, top5: 0.99, weightDecay: 0, epoch: 3, splits: {} },
  baselineKnn: { 1: 0.4, 20: 0.6 },
  baselineLinear: { top1: 0.65, top5: 0.9 },
  learnedClassSimilarity: [],
  splits: { 'mixed-rand': { knnTop1: 0.3, linearTop1: 0.35, baselineKnnTop1: 0.2, baselineLinearTop1: 0.25 } },
  retrieval: { imageToText: { 1: 0.1, 5: 0.5, 10: 0.7 }, textToImage: { 1: 0.2, 5: 0.6, 10: 0.8 } },
  trainSize: 10,
  testSize: 5,
} as unknown as EvalResult;

describe('headline scores', () => {
  it('quote top-1 at k = 20 when evaluated, else the first k', () => {
    expect(headlineScores(result, [1, 20])).toMatchObject({ knnTop1: 0.8, baselineKnnTop1: 0.6, linearTop1: 0.75, baselineLinearTop5: 0.9 });
    expect(headlineScores(result, [1]).knnTop1).toBe(0.5);
    expect(headlineScores({ ...result, splits: {} }, [20]).splits).toBeUndefined();
  });

  it('print as a table of encoder against raw pixels, with splits and retrieval, and as CSV', () => {
    const s = headlineScores(result, [1, 20]);
    expect(scoreTable('run', s, 20).split('\n')).toEqual([
      'features                       kNN@20     linear',
      'raw pixels                     60.00%     65.00%',
      'run encoder                    80.00%     75.00%',
      '  mixed-rand: raw pixels       20.00%     25.00%',
      '  mixed-rand: encoder          30.00%     35.00%',
      'retrieval R@1/5/10: image→text 10.00% 50.00% 70.00%, text→image 20.00% 60.00% 80.00%',
    ]);
    expect(scoreCsv('run', s, 20)).toBe(
      'encoder,knn_k,knn_top1,linear_top1,linear_top5\nrun,20,0.8,0.75,0.99\nraw pixels,20,0.6,0.65,0.9\n',
    );
  });
});
