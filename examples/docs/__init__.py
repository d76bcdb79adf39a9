"""The code of docs/*.md: the pages quote these files; tests/test_docs_examples.py runs them."""
