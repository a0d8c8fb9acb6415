#!/usr/bin/env bash
# Installs Mesa's CPU Vulkan driver (lavapipe) and the Vulkan loader, so that the `webgpu`
# backend (Dawn over Vulkan) runs for real on a machine without a GPU (CI, developers' boxes).
# Debian 12's own Mesa 22.3 is rejected by Dawn ("shaderUniform*ArrayDynamicIndexing
# required"); bookworm-backports' Mesa (25.x) works. Idempotent; runs as root (apt-get).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" -ne 0 ]; then echo "install-lavapipe: run as root (apt-get)" >&2; exit 1; fi
. /etc/os-release
if [ "${VERSION_CODENAME:-}" != bookworm ]; then
  echo "install-lavapipe: written for Debian 12 (bookworm), this is ${PRETTY_NAME:-unknown}" >&2
  exit 1
fi

lavapipe_ok() {
  # The installed driver must come from backports (Mesa ≥ 23): 22.3 loads but Dawn rejects it.
  local v
  v=$(dpkg-query -W -f='${Status} ${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  case "$v" in
    "install ok installed "*) ;;
    *) return 1 ;;
  esac
  v=${v##* }
  dpkg --compare-versions "$v" ge 23 && dpkg -s libvulkan1 >/dev/null 2>&1
}

if lavapipe_ok; then
  echo "install-lavapipe: mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers) and libvulkan1 already installed"
  exit 0
fi

if ! grep -rqsE '^[^#]*bookworm-backports|^Suites:.*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # Backports from the same Debian mirror this machine already uses for bookworm.
  mirror=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v -- '-security' | head -n 1)
  [ -n "$mirror" ] || mirror=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '$3 == "bookworm" {print $2}' | head -n 1)
  if [ -z "$mirror" ]; then echo "install-lavapipe: found no Debian mirror for bookworm in the apt sources" >&2; exit 1; fi
  echo "deb $mirror bookworm-backports main" >/etc/apt/sources.list.d/bookworm-backports.list
  echo "install-lavapipe: added bookworm-backports ($mirror) to /etc/apt/sources.list.d/bookworm-backports.list"
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends mesa-vulkan-drivers/bookworm-backports libvulkan1 >/dev/null
if ! lavapipe_ok; then
  echo "install-lavapipe: mesa-vulkan-drivers from bookworm-backports did not install" >&2
  exit 1
fi
echo "install-lavapipe: installed mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers) (lavapipe) and libvulkan1"
