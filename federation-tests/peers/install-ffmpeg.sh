#!/usr/bin/env bash
# Installs Debian's ffmpeg (ffmpeg and ffprobe), which GoToSocial runs to read and resize the
# images and files the peer scenarios exchange, if it is not there yet (needs root or sudo).
set -euo pipefail
if [ -x /usr/bin/ffmpeg ] && [ -x /usr/bin/ffprobe ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends ffmpeg >/dev/null 2>&1 || {
  $SUDO apt-get update -qq
  $SUDO apt-get install -y --no-install-recommends ffmpeg
}
/usr/bin/ffmpeg -version | head -n 1
