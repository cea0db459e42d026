"""Summaries: one schema filled by a language model (map-reduce for long episodes) or offline by
extraction, with every quote and timestamp held to the transcript."""
