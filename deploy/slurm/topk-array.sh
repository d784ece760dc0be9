#!/bin/bash
# The exact top-k graph of $XCLR_DATA/emb.arrow as a Slurm job array: 8 tasks, each computing one
# shard of the query rows against all rows, then a merge job that starts once all 8 succeeded.
#
#   bash deploy/slurm/topk-array.sh     queues the array and the dependent merge job
#   sbatch deploy/slurm/topk-array.sh   queues the array alone
#
# `--shard auto/8` takes the shard index from SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN, so
# --array=1-8 works as well as 0-7. Keep the 8 of --array, auto/8 and the merge list equal. Run it
# where `npx xclr` resolves (a directory with @xclr/train installed; Node >= 20.19, e.g. after
# `module load nodejs`), with XCLR_DATA on a file system every node sees.
#SBATCH --job-name=xclr-topk
#SBATCH --array=0-7
#SBATCH --cpus-per-task=4
# Each task reads the whole embeddings file, rows x dim x 4 bytes (1M x 384: 1.5 GB), and peaks near
# 3x that + block x rows x 4 bytes (one block's scores) + 0.25 GB: ~6 GB at 1M x 384 on onnxruntime
# (deploy/README.md), so 8G. tfjs needs about twice as much.
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --output=xclr-topk-%A_%a.out
set -euo pipefail
data=${XCLR_DATA:-$PWD/data}

if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
  # Run by hand: queue this script as the array, then the merge, which waits for every task (afterok).
  array=$(sbatch --parsable "$0")
  shards=()
  for i in $(seq 0 7); do shards+=("$data/topk-$i.arrow"); done
  # The merge holds the shards and the graph: about 2 x rows x k x 8 bytes (1M x 16: 256 MB).
  sbatch --parsable --job-name=xclr-topk-merge --dependency=afterok:"$array" --cpus-per-task=1 --mem=1G \
    --time=00:30:00 --output=xclr-topk-merge-%j.out --wrap "npx xclr graph merge ${shards[*]} --out $data/topk.arrow"
  exit 0
fi

npx xclr graph topk --embeddings "$data/emb.arrow" --k 16 --out "$data/topk-$SLURM_ARRAY_TASK_ID.arrow" --shard auto/8
