"""The command line: options, ids in, writer out, errors to exit codes. Nothing else."""
