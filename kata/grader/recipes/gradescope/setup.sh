#!/usr/bin/env bash
# Gradescope autograder setup: upload a zip holding this file, run_autograder and a
# copy of the kata in a folder named concurrency-kata (Gradescope unpacks it into
# /autograder/source). Runs once, when the autograder image is built.
set -euo pipefail
apt-get update -q
apt-get install -y -q python3 python3-venv python3-pip
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install -e /autograder/source/concurrency-kata
