"""The live user search demo: a search box that queries ajaxkit as you type.

Run it with ``python -m examples.demo`` (or ``bash scripts/demo.sh``) and open
the printed URL.
"""
