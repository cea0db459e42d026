"""newsroom: from what your sources published this week to a newsletter, on Prefect 3."""

from newsroom._env import configure_environment

configure_environment()

__version__ = "0.1.0"
