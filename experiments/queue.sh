#!/usr/bin/env bash
# Runs every study in turn (each resumes where it stopped): the whole of docs/results/*.json.
# Two seeds of the methods comparison first, then the other studies, then further seeds.
#   npm run build && bash experiments/queue.sh
set -euo pipefail
cd "$(dirname "$0")/.."
node experiments/fmnist-methods.mjs --seeds 0,1
node experiments/synth-captions.mjs --seeds 0
node experiments/target-temperature.mjs --seeds 0
node experiments/data-efficiency.mjs --seeds 0
node experiments/fmnist-methods.mjs --seeds 0,1,2
node experiments/synth-captions.mjs --seeds 0,1
node experiments/data-efficiency.mjs --seeds 0,1
node experiments/synth-captions.mjs --seeds 0,1,2
node experiments/synth-captions.mjs --seeds 0,1 --encoder convnet
node experiments/graph-sources.mjs --seeds 0,1,2
node experiments/graph-losses.mjs --seeds 0,1,2
node experiments/sparse-graphs.mjs --seeds 0,1,2
node experiments/memory-queue.mjs --seeds 0
node experiments/batch-size.mjs --seeds 0
node experiments/memory-queue.mjs --seeds 0,1
node experiments/batch-size.mjs --seeds 0,1
node experiments/memory-queue.mjs --seeds 0,1,2
node experiments/batch-size.mjs --seeds 0,1,2
node experiments/fmnist-methods.mjs --seeds 0,1,2 --encoder convnet
