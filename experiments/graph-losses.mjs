#!/usr/bin/env node
// Fashion-MNIST: VICReg and Barlow Twins in their standard forms and their graph forms against the
// class-description graph (the paper's Theorem 1: the "X-" variants), beside the methods study's
// SimCLR / SupCon / X-CLR rows: same MLP, budget (4 epochs), SimCLR augmentations and seeds.
//
//   npm run build && node experiments/graph-losses.mjs [--seeds 0,1,2] [--encoder convnet]
//
// `--encoder convnet`: the ConvNet of the methods study (variants `fmnist-*-convnet`), beside its
// ConvNet rows.
// Writes docs/results/graph-losses.json after every run (resumable).
import { arg, printTable, runStudy } from './study.mjs';
import { encoderOption } from './study-configs.mjs';

const { suffix, set: encoderSet } = encoderOption();
const augment = 'data.augment=simclr';
const variants = [
  { name: 'fmnist-vicreg', preset: 'fmnist-simclr', set: ['loss.type=vicreg', augment] },
  { name: 'fmnist-x-vicreg', preset: 'fmnist-simclr', set: ['loss.type=vicreg', 'loss.graphForm=true', augment] },
  { name: 'fmnist-barlow', preset: 'fmnist-simclr', set: ['loss.type=barlow', augment] },
  { name: 'fmnist-x-barlow', preset: 'fmnist-simclr', set: ['loss.type=barlow', 'loss.graphForm=true', augment] },
].map((v) => ({ ...v, name: `${v.name}${suffix}`, set: [...v.set, ...encoderSet] }));
const seeds = arg('seeds', '0,1,2').split(',').map(Number);
const runs = runStudy({ out: 'docs/results/graph-losses.json', command: 'node experiments/graph-losses.mjs', variants, seeds });
printTable(runs, variants);
