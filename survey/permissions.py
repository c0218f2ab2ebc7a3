"""The survey's permissions, named once: views and admins check these constants, and
`SurveyConfig.observatoire_permissions` gives the « Observatoire » group its share."""

VIEW_EDITION = "survey.view_edition"
# Respondents' addresses and names: given to named people only, never to the group.
VIEW_CONTACT_DETAILS = "survey.view_contact_details"
EXPORT_RESPONSES = "survey.export_responses"
# Reassigning and merging responses; after the close, also the dedicated permission.
CHANGE_RESPONSE = "survey.change_response"
CORRECT_AFTER_CLOSE = "survey.correct_after_close"
