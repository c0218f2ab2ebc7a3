"""The results' permissions, named once: views and admins check these constants, and
`ResultsConfig.observatoire_permissions` gives the « Observatoire » group its share."""

VIEW_COVERAGE = "results.view_coverage"
VIEW_RESULTS = "results.view_results"
# Choosing the published questions: given person by person.
PUBLISH = ("results.add_publication", "results.delete_publication")
REFREEZE_FRAME = ("results.add_frame", "results.delete_frame")
