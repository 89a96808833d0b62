#!/usr/bin/env bash
# The Debian packages the tests need, installed when missing (the README's test command and CI
# both run this, so they cannot drift apart):
# - chromium: the SwiftShader Vulkan driver (WebGPU for Node via Dawn) and the browser for the
#   end-to-end tests;
# - libvulkan1: the Vulkan loader Dawn opens.
# Works as root (a fresh container has no sudo) and as a user with sudo; refreshes the package
# lists first (a fresh machine has none).
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -e /usr/lib/x86_64-linux-gnu/libvulkan.so.1 ] || [ -e /usr/lib/aarch64-linux-gnu/libvulkan.so.1 ] || need+=(libvulkan1)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Install these packages with your system's package manager: ${need[*]} (Debian/Ubuntu names)." >&2
  exit 1
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "Installing ${need[*]} needs root: run this as root, or install sudo." >&2
    exit 1
  fi
  SUDO=(sudo)
fi
echo "Installing ${need[*]} …" >&2
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
