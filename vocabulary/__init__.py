"""The words every layer shares: the profile record, the kinds of organisation with their
German labels, the errors a user reads. The bottom layer: it imports no other package of ours."""
