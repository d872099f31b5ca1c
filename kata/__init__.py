"""Support package of concurrency-kata: the swap seam, probes, the hygiene guard, the CLI."""
