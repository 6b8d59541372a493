"""Every form of the user's ids: tokens, accessions, stdin documents, stored sets."""
