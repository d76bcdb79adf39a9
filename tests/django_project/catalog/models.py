"""Models used by the model-endpoint tests (issue 3)."""
