"""The answer store on disk: its files, how answers are kept in it, and the cache commands."""
