"""Nudges: timely pushes through Firebase Cloud Messaging and the in-app inbox.

Empty for now; the nudges issue fills it. It is installed already so its migrations start
from the same history on every deployment.
"""
