"""The poll's permissions, named once: admins check these constants, and
`PollConfig.observatoire_permissions` gives the « Observatoire » group its share."""

# Storing the crossing's figures and running the weights are changes, given to named people.
STORE_CROSSING = "poll.add_crossingcomputation"
WEIGH = "poll.add_weightingrun"
