"""The check engine: contract checks that know K-means, and their adapters."""
