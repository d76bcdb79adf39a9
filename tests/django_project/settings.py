"""Django settings for the test suite (conformance clients, ORM repository tests)."""

from __future__ import annotations

SECRET_KEY = "ajaxkit-tests-not-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.django_project.urls"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "tests.django_project.catalog",
    "taggit",
    "tests.django_project.legacy",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Test users are made with passwords the tests never check, and the default
# PBKDF2 spends about 0.7 s of CPU on each: the fast hasher Django's own docs
# recommend for test settings ("Speeding up the tests").
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
