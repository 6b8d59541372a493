"""Talking to NCBI and the other services: HTTP, pacing, retries, answers parsed."""
