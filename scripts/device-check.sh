#!/usr/bin/env bash
# GPU check of the webgpu path (≤ 5 minutes on a GPU machine): the adapter, the training step of
# the MLP, ConvNet and ResNet-18 at batch 256 on tfjs's webgpu backend, and exact top-k on
# onnxruntime's WebGPU provider and tfjs webgpu against the CPU. Writes one JSON file.
#
#   bash scripts/device-check.sh [OUT.json]        (default docs/results/device-check.json)
#   DEVICE_CHECK_QUICK=1 bash scripts/device-check.sh /tmp/x.json   (tiny sizes: a software adapter)
#
# Run from a clone after `npm ci` (no network needed after that). On Linux, Dawn reaches the GPU
# through Vulkan: the driver's Vulkan ICD (NVIDIA: nvidia_icd.json, shipped with the driver) and
# the loader libvulkan.so.1 (Debian: libvulkan1). What is missing is recorded in the JSON.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/results/device-check.json}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
quick=${DEVICE_CHECK_QUICK:-0}
if [[ $quick == 1 ]]; then batch=8 steps=2 warmup=1 topk=(256 5000 64 8); else batch=256 steps=10 warmup=3 topk=(4096 100000 384 16); fi
run() { timeout "$1" "${@:2}"; }
tsx=(node --conditions=@xclr/source --import tsx)

if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >"$tmp/gpu.txt" 2>&1
else
  echo "no nvidia-smi" >"$tmp/gpu.txt"
fi
loader=$( (ldconfig -p 2>/dev/null | grep -o '/.*libvulkan\.so\.1$'; IFS=:; for d in ${LD_LIBRARY_PATH:-}; do ls "$d"/libvulkan.so.1 2>/dev/null; done) | head -1)
echo "${loader:-libvulkan.so.1 not found (Debian: apt install libvulkan1)}" >"$tmp/loader.txt"
icds=$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json 2>/dev/null; tr ':' '\n' <<<"${VK_DRIVER_FILES:-}")
echo "${icds:-no Vulkan driver manifests in /usr/share/vulkan/icd.d, /etc/vulkan/icd.d or VK_DRIVER_FILES (the NVIDIA driver ships nvidia_icd.json)}" >"$tmp/icd.txt"
run 120 node apps/train/bin/xclr.js env --backend webgpu >"$tmp/env.txt" 2>&1
echo "adapter: $(grep -m1 '^webgpu:' "$tmp/env.txt" || tail -1 "$tmp/env.txt")"
for model in mlp convnet resnet18; do
  echo "train step: $model batch $batch on webgpu"
  run 90 "${tsx[@]}" bench/src/train-step-cli.ts --model "$model" --backend webgpu --batch "$batch" --steps "$steps" \
    --warmup "$warmup" --json >"$tmp/step-$model.json" 2>"$tmp/step-$model.err"
done
echo "top-k: ${topk[*]} (Q N D K)"
run 90 "${tsx[@]}" bench/src/topk-webgpu.ts "${topk[@]}" >"$tmp/topk.json" 2>"$tmp/topk.err"

node - "$tmp" "$out" <<'JS'
const fs = require('node:fs');
const path = require('node:path');
const [dir, out] = process.argv.slice(2);
const text = (f) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8').trim() : '');
// The last JSON line of a bench's stdout, else its last error line (a timeout leaves neither).
const result = (name) => {
  const line = text(`${name}.json`).split('\n').filter((l) => l.startsWith('{')).pop();
  if (line) return JSON.parse(line);
  const err = text(`${name}.err`).split('\n').filter((l) => l && !/^(Warning|Info):|^ - /.test(l)).pop();
  return { error: err || 'no result within its time limit' };
};
const report = {
  date: new Date().toISOString(),
  gpu: text('gpu.txt'),
  vulkanLoader: text('loader.txt'),
  vulkanIcds: text('icd.txt'),
  env: text('env.txt').split('\n').filter((l) => /^(backend|webgpu|node|tfjs)/.test(l)),
  trainStep: ['mlp', 'convnet', 'resnet18'].map((m) => ({ model: m, ...result(`step-${m}`) })),
  topk: result('topk'),
};
fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
fs.writeFileSync(`${out}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
fs.renameSync(`${out}.tmp`, out);
console.log(`| model | samples/s | adapter |\n|---|---|---|`);
for (const r of report.trainStep) console.log(`| ${r.model} | ${r.samplesPerSecond ? r.samplesPerSecond.toFixed(1) : r.error} | ${r.adapter ?? '–'} |`);
for (const r of report.topk.results ?? []) console.log(`top-k ${r.engine}: ${r.seconds ? `${r.seconds.toFixed(2)} s` : r.error}${r.agreement !== undefined ? `, agreement ${r.agreement}` : ''}`);
console.log(`wrote ${out}`);
JS
