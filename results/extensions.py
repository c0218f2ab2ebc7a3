"""What the apps built on the results add to their pages, registered from their
`AppConfig.ready()`.

The results never import those apps: the citizens' poll adds the way to its crossed page
(« Citoyens et collectivités ») to the results pages of the same year.
"""

# page -> {name: context(edition) -> the variables that app adds to the page's template}
PAGE_CONTEXTS = {"public_results": {}, "staff_index": {}}


def register_page_context(page, name, context):
    """Add `context(edition)`'s variables to `page` (once per name)."""
    PAGE_CONTEXTS[page][name] = context


def page_context(page, edition):
    """The variables every registered app adds to `page` for `edition`."""
    extra = {}
    for context in PAGE_CONTEXTS[page].values():
        extra |= context(edition)
    return extra
