"""Benchmarks: each figure measured against a reference in the same run.

.venv/bin/python -m bench            # everything (`make bench`), < 10 minutes on 2 cores
.venv/bin/python -m bench --smoke    # tiny sizes, seconds (tests/bench runs these)
.venv/bin/python -m bench.fanout_latency --help   # one benchmark on its own
"""
