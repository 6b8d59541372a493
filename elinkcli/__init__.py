"""elinkcli: walk NCBI Entrez ELink tables from the command line or from Python."""

__version__ = "0.1.0"
