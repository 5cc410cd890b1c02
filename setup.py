"""Build hook: compiles the emulator's C hot paths (emulator/native) through cffi."""

from setuptools import setup

setup(cffi_modules=["emulator/native/build.py:ffibuilder"])
