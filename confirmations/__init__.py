"""Profiles kept alive (issue 15): every profile has a "last confirmed" date; once a year its
owner gets a mail with a "still correct" link, and managers see which profiles nobody confirmed."""
