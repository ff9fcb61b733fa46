"""Excel/CSV import of the register: persons, households, dwellings, buildings, organisations.

columns (headers per kind) · cells (one cell → value or problem) · reader (streaming CSV/xlsx)
· base (the chunked engine and the fast insert) · lookup (links to the register) · persons,
places, organisations (the rules per kind) · workbooks (template, error workbook) · jobs (the
ImportJob flow: services, selectors, the worker's step).
"""
