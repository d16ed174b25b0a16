"""The inquiry store: models, sessions, repository functions and the durable spool."""
