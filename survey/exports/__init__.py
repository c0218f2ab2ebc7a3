"""Exports of the responses to an edition, for staff and for open-data publication.

Each format family has ONE row generator that yields plain Python values, and thin renderers
turn them into bytes, streaming:

    wide rows     iter_wide_rows      -> CSV, XLSX data sheet, open-data CSV
    long rows     iter_long_rows      -> long CSV
    JSON objects  iter_json_objects   -> JSON
    codebook      iter_codebook_rows  -> XLSX codebook sheet; table_schema() -> Table Schema

Columns come from every question of the edition, active or not, in questionnaire order, so that
older responses keep their columns when the questionnaire changes. Three states never mix up:
a question that was not asked (its display condition is false, or it is no longer asked), a
question asked but left without answer, and an answer (« Je ne sais pas » is an answer).
Responses are read in chunks with their answers fetched per chunk: memory stays flat.
"""
