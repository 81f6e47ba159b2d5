#!/usr/bin/env python
import os

from setuptools import find_packages, setup

CORE_UTILS = os.environ.get("CORE_UTILS_PIN", "1.4.2")

REQUIRES = [
    "click>=8",  # cli
    'core-utils==1.4.2',
]

setup(
    name="cdn-client-legacy",
    version="0.9.0",
    packages=find_packages(exclude=["tests"]),
    install_requires=REQUIRES,
    extras_require={
        "pinned": ["core-utils==" + CORE_UTILS],
        "dev": ["pytest", "tox"],
    },
)
