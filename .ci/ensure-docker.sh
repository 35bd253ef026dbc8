#!/usr/bin/env bash
# Make sure a Docker engine answers on the local socket: install Debian's docker.io if dockerd is
# missing, start dockerd in the background if it is not running, wait for it (DOCKER_WAIT seconds).
# Idempotent; safe to run when the engine is already up.
set -uo pipefail
SOCK=/var/run/docker.sock
LOG="${DOCKERD_LOG:-/tmp/regress-dockerd.log}"
WAIT="${DOCKER_WAIT:-60}"
log() { printf '[ensure-docker] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
engine_ok() { timeout 10 docker -H "unix://$SOCK" info >/dev/null 2>&1; }

if ! command -v dockerd >/dev/null; then
  log "installing docker.io"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null; } || die "apt-get install docker.io failed"
fi
if engine_ok; then log "engine already running"; exit 0; fi

if [[ -f /var/run/docker.pid ]] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then rm -f /var/run/docker.pid; fi
start() { setsid nohup dockerd "$@" >>"$LOG" 2>&1 </dev/null & echo $!; }
pid=$(start)
deadline=$(( $(date +%s) + WAIT ))
while (( $(date +%s) < deadline )); do
  engine_ok && { log "engine up (dockerd pid $pid, log $LOG)"; exit 0; }
  if ! kill -0 "$pid" 2>/dev/null; then
    # Some sandboxes refuse iptables; host-network containers need none of it.
    log "dockerd exited; retrying without iptables and bridge"
    rm -f /var/run/docker.pid
    pid=$(start --iptables=false --ip6tables=false --bridge=none)
    sleep 1
  fi
  sleep 0.25
done
tail -n 20 "$LOG" >&2
die "Docker engine not answering on $SOCK after ${WAIT}s"
