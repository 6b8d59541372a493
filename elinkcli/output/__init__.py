"""Writers of rows (tsv, json, jsonl, uid, edirect, table, eLinkResult) and -o files."""
