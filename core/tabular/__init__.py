"""Tabular files in and out: the one CSV/XLSX reader and the one writer every module uses."""
