"""The campaigns' permissions, named once: admins check these constants, and
`CampaignsConfig.observatoire_permissions` gives the « Observatoire » group its share."""

# The contacts' addresses: given to named people only, never to the group.
VIEW_CONTACT = "campaigns.view_contact"
SEND_CAMPAIGN = "campaigns.send_campaign"
