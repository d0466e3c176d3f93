"""Teachkit: teach a computer to recognise pictures, and publish it as a site that works offline."""

__version__ = "0.1.0"
