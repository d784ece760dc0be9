#!/usr/bin/env bash
# Runs every study in turn (each resumes where it stopped): the whole of docs/results/*.json.
# Two seeds of the methods comparison first, then the other studies, then further seeds, then
# every study with the ConvNet (3 seeds), then the tables and plots.
#   npm run build && bash experiments/queue.sh
# Two workers on two cores (separate checkouts, one thread each) split a study without running a
# pair twice: XCLR_STUDY_SET='backend.threads=1' XCLR_STUDY_SHARED=/some/shared/dir in both.
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
node experiments/synth-captions.mjs --seeds 0,1,2 --encoder convnet
node experiments/synth-captions.mjs --seeds 0,1,2 --encoder convnet --version 2
node experiments/data-efficiency.mjs --seeds 0,1,2 --encoder convnet
node experiments/target-temperature.mjs --seeds 0,1,2 --encoder convnet
node experiments/graph-losses.mjs --seeds 0,1,2 --encoder convnet
node experiments/graph-sources.mjs --seeds 0,1,2 --encoder convnet
node experiments/graph-sources-heatmaps.mjs --seed 0
node experiments/graph-sources-heatmaps.mjs --seed 2 --encoder convnet
node experiments/target-sharpness.mjs
node experiments/synth-captions.mjs --seeds 0,1,2 --encoder convnet --version 2 --taus 0.05,0.07
node experiments/synth-v2-similarity.mjs
node experiments/sparse-graphs.mjs --seeds 0,1,2 --encoder convnet
node experiments/report.mjs
