"""Discord features, one per module: read the interaction, call bot/, render the answer."""
