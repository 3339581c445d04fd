"""Evaluation harnesses: stage and diagnosis metrics against gold labels, cross-validation, label export.

Above diagnose/ and load/ in the import graph: they measure the pipeline, the pipeline never imports them.
"""
