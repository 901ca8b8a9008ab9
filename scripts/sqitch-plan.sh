#!/usr/bin/env bash
# Regenerates db/sqitch.plan from the grate tree in db/, so sqitch deploys the very same
# scripts grate (and our own `migrate`) run, in grate's folder order:
#   up/*.sql (name order, each depending on the previous one), then
#   runfirstafterup/, functions/, views/, sprocs/, triggers/, indexes/,
#   runafterotheranytimescripts/, permissions/ (recursive, sorted by path, each depending
#   on the last up script). Other folders are not part of the plan.
# The change name is the script's path without ".sql" (db/functions/tasks/submit_task.sql ->
# functions/tasks/submit_task); db/sqitch.conf sets deploy_dir = . so that maps back.
# Output is deterministic (fixed planner and timestamp).
#
#   scripts/sqitch-plan.sh            write db/sqitch.plan
#   scripts/sqitch-plan.sh --check    exit 1 (and show the diff) when db/sqitch.plan is stale
#   scripts/sqitch-plan.sh --stdout   print the plan
# Env: SQITCH_PLAN_DB_DIR (default: <repo>/db).
set -euo pipefail

mode=write
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  --stdout) mode=stdout ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
db="${SQITCH_PLAN_DB_DIR:-$repo/db}"
[ -d "$db" ] || { echo "sqitch-plan: no folder $db" >&2; exit 2; }
plan="$db/sqitch.plan"

STAMP="2025-01-01T00:00:00Z"
PLANNER="AgentRuntime <agent-runtime@example.invalid>"
ANYTIME_FOLDERS=(runfirstafterup functions views sprocs triggers indexes runafterotheranytimescripts permissions)

export LC_ALL=C
is_punct() { [[ "$1" =~ ^[[:punct:]]$ && "$1" != _ ]]; }  # sqitch: [:punct:] except _

check_name() { # sqitch change-name rules
  local n="$1"
  if [[ "$n" =~ [[:space:]:@#\\] ]] || is_punct "${n:0:1}" || is_punct "${n: -1}" \
     || [[ "$n" =~ [~/=%^][0-9]+$ ]]; then
    echo "sqitch-plan: '$n.sql' cannot be a sqitch change name: no blanks, ':', '@', '#', '\\'; must not start or end with punctuation nor end in '/' + digits (rename it, e.g. 0001_core.sql)" >&2
    exit 2
  fi
}

list_sql() { # $1 = folder under db; prints relative paths without .sql, sorted by path
  [ -d "$db/$1" ] || return 0
  (cd "$db" && find "$1" -type f -name '*.sql' | sort | sed 's/\.sql$//')
}

generate() {
  echo "%syntax-version=1.0.0"
  echo "%project=agent_runtime"
  echo ""
  local prev="" name
  while IFS= read -r name; do
    [ -n "$name" ] || continue
    check_name "$name"
    if [ -n "$prev" ]; then
      echo "$name [$prev] $STAMP $PLANNER # db/$name.sql"
    else
      echo "$name $STAMP $PLANNER # db/$name.sql"
    fi
    prev="$name"
  done < <(list_sql up)
  local folder deps=""
  [ -n "$prev" ] && deps=" [$prev]"
  for folder in "${ANYTIME_FOLDERS[@]}"; do
    while IFS= read -r name; do
      [ -n "$name" ] || continue
      check_name "$name"
      echo "$name$deps $STAMP $PLANNER # db/$name.sql"
    done < <(list_sql "$folder")
  done
}

new="$(generate)"
case "$mode" in
  stdout) printf '%s\n' "$new" ;;
  write)
    if [ -f "$plan" ] && [ "$(cat "$plan")" = "$new" ]; then
      echo "sqitch-plan: $plan is up to date" >&2
    else
      printf '%s\n' "$new" >"$plan"
      echo "sqitch-plan: wrote $plan ($(grep -c ' # db/' "$plan" || true) changes)" >&2
    fi ;;
  check)
    if [ -f "$plan" ] && [ "$(cat "$plan")" = "$new" ]; then
      echo "sqitch-plan: $plan is up to date" >&2
    else
      echo "sqitch-plan: $plan is out of date with the scripts in $db: run scripts/sqitch-plan.sh" >&2
      diff <(cat "$plan" 2>/dev/null || true) <(printf '%s\n' "$new") >&2 || true
      exit 1
    fi ;;
esac
