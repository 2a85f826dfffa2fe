"""The project's settings, with the baselines' URLs in front of its own (baseline.py): for
the benchmark's server only."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "baseline"
