"""Citizens' objections to the use of their data for research, and their withdrawal."""
