#!/usr/bin/env bash
# A software Vulkan adapter that Dawn accepts, for onnxruntime-node's WebGPU execution provider
# (which reaches the GPU through Vulkan only) on a machine without a GPU: Mesa 25's lavapipe from
# Debian bookworm-backports, unpacked into a cache folder (nothing is installed). Debian 12's own
# lavapipe (Mesa 22.3) lacks features Dawn requires. Prints the environment that selects it:
#
#   eval "$(bash scripts/mesa-lavapipe.sh)"
#
# Needs apt-get and dpkg (Debian 12), and Mesa's runtime libraries (libllvm15, the xcb and
# wayland client libraries: what libgl1-mesa-dri pulls in). On a machine with a GPU, use its
# Vulkan driver instead.
set -euo pipefail
dir=${XCLR_LAVAPIPE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/xclr/mesa-lavapipe}
lib=$dir/usr/lib/x86_64-linux-gnu
if [[ ! -f $dir/lvp_icd.json ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work" "$dir.partial"' EXIT
  mkdir -p "$work/lists/partial" "$work/archives/partial"
  printf 'deb http://deb.debian.org/debian %s main\n' bookworm bookworm-backports >"$work/sources.list"
  apt=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache::Archives=$work/archives" -o APT::Sandbox::User=root)
  apt-get "${apt[@]}" -qq update >&2
  (cd "$work" && apt-get "${apt[@]}" -qq download mesa-vulkan-drivers/bookworm-backports \
    libdrm2/bookworm-backports libdrm-amdgpu1/bookworm-backports libvulkan1/bookworm >&2)
  rm -rf "$dir.partial" && mkdir -p "$dir.partial"
  for deb in "$work"/*.deb; do dpkg -x "$deb" "$dir.partial"; done
  # The manifest names the driver by file name; point it at the unpacked copy.
  sed "s|\"libvulkan_lvp.so\"|\"$lib/libvulkan_lvp.so\"|" "$dir.partial/usr/share/vulkan/icd.d/lvp_icd.json" >"$dir.partial/lvp_icd.json"
  rm -rf "$dir" && mv "$dir.partial" "$dir"
fi
printf 'export LD_LIBRARY_PATH=%q VK_DRIVER_FILES=%q\n' "$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$dir/lvp_icd.json"
