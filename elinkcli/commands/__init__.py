"""Each command as library code, batching, and the per-id ledger of a run."""
