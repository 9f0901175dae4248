"""Full-text search of the catalogue: datasets, tables, variables, code lists and their codes."""
