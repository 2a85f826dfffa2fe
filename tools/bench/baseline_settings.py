"""The project's settings, with the bare baseline's URLs in front of its own (baseline.py): for
the benchmark's server only."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "baseline"
