import fs from 'node:fs';
import path from 'node:path';
import { FASHION_MNIST_TAXONOMY } from '@xclr/graph';
import { describe, expect, it } from 'vitest';
import { runDirIn, stepLosses, TINY, tmpDir, xclr } from './helpers.js';

const STEPS = ['--set', 'train.maxSteps=3'];

describe('VICReg and Barlow Twins, standard and graph forms; graphs from a taxonomy or an edge list', { timeout: 300_000 }, () => {
  it('loss.type=vicreg and barlow train in their standard forms (no graph built)', async () => {
    for (const type of ['vicreg', 'barlow']) {
      const runs = tmpDir(`xclr-${type}-`);
      const r = await xclr(['train', ...TINY, ...STEPS, '--set', `loss.type=${type}`, '--runs-dir', runs]);
      expect(r.code, r.err).toBe(0);
      expect(r.err).not.toMatch(/graph: /);
      expect(stepLosses(runDirIn(runs)).every(([, loss]) => Number.isFinite(loss))).toBe(true);
    }
  });

  it('graph forms against the Fashion-MNIST taxonomy and against an edge list differ from the standard form', async () => {
    const losses = async (...set: string[]) => {
      const runs = tmpDir('xclr-graphform-');
      const r = await xclr(['train', ...TINY, ...STEPS, '--set', 'loss.type=barlow', ...set.flatMap((s) => ['--set', s]), '--runs-dir', runs]);
      expect(r.code, r.err).toBe(0);
      return { err: r.err, dir: runDirIn(runs), losses: stepLosses(runDirIn(runs)) };
    };
    const standard = await losses();
    const taxonomy = await losses('loss.graphForm=true', 'loss.graph=taxonomy');
    expect(taxonomy.err).toContain('graph: 10 classes from taxonomy with the Fashion-MNIST taxonomy');
    const graph = JSON.parse(fs.readFileSync(path.join(taxonomy.dir, 'graph.json'), 'utf8'));
    expect(graph.classNames[9]).toBe('Ankle boot');
    expect(graph.similarity).toHaveLength(100);
    expect(taxonomy.losses[0][1]).not.toBe(standard.losses[0][1]);

    const tree = path.join(tmpDir('xclr-tree-'), 'taxonomy.json');
    fs.writeFileSync(tree, JSON.stringify(FASHION_MNIST_TAXONOMY));
    const fromFile = await losses('loss.graphForm=true', 'loss.graph=taxonomy', `loss.graphFile=${tree}`);
    expect(fromFile.err).toContain(`graph: 10 classes from taxonomy with ${tree}`);
    expect(fromFile.losses).toEqual(taxonomy.losses); // the same tree from a file: the same targets

    const file = path.join(tmpDir('xclr-edges-'), 'edges.csv');
    fs.writeFileSync(file, 'i,j,weight\nSneaker,Sandal,0.8\nSneaker,Ankle boot,0.8\nShirt,T-shirt/top,0.7\n');
    const edges = await losses('loss.graphForm=true', 'loss.graph=edges', `loss.graphFile=${file}`);
    expect(edges.err).toContain(`graph: 10 classes from edges with ${file}`);
    const noFile = await xclr(['train', ...TINY, ...STEPS, '--set', 'loss.graph=edges', '--runs-dir', tmpDir('xclr-nofile-')]);
    expect(noFile.code).toBe(1);
    expect(noFile.err).toContain('class graph from edges: needs a file');
  });
});
