"""The Django project serving all three frameworks side by side."""
