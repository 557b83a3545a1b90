"""Customer care in GraphQL: interactions, the care calendar, tasks, and the grading on Member."""
