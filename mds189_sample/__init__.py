"""A generator of sample data sets in the exact MDS189 layout (see README.md of a built sample)."""
