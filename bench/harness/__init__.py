"""The real-HTTP benchmark behind ``bench/run.py``: servers, wrk, comparisons, results."""
