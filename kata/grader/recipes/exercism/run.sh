#!/usr/bin/env bash
# Exercism's test-runner interface: run.sh SLUG SOLUTION_DIR OUTPUT_DIR grades one exercise (the
# topic named by SLUG, its module SOLUTION_DIR/<topic>.py) and writes OUTPUT_DIR/results.json,
# version 3. It always exits 0; a grader that cannot run at all gives status "error" with the reason.
set -uo pipefail
slug="$1" solution="$2" output="$3"
topic="${slug//-/_}"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$output"
exec >"$scratch/log" 2>&1  # the grader's own words, kept for the error message
kata grade "$solution" --topics "$topic" --output "$scratch/results.json" --format exercism
status=$?
if [ "$status" -eq 0 ]; then
    cp "$scratch/results.exercism.json" "$output/.results.json.partial"
else
    python3 -c 'import json, sys; print(json.dumps({"version": 3, "status": "error", "message": sys.stdin.read()}))' \
        <"$scratch/log" >"$output/.results.json.partial"
fi
mv "$output/.results.json.partial" "$output/results.json"
exit 0
