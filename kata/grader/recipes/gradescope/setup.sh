#!/usr/bin/env bash
# Gradescope autograder setup: upload a zip holding this file, run_autograder and a
# copy of the kata in a folder named concurrency-kata (Gradescope unpacks it into
# /autograder/source). Runs once, when the autograder image is built.
set -euo pipefail
apt-get update -q
apt-get install -y -q python3 python3-venv python3-pip
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install -e /autograder/source/concurrency-kata
# Grading needs neither the reference solutions nor the self-checks; a topic run at the `uid`
# containment level could read them (GRADING.md, Containment).
rm -rf /autograder/source/concurrency-kata/solutions /autograder/source/concurrency-kata/tests
