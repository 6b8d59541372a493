"""The answer store on disk, its administration and the one lock module."""
