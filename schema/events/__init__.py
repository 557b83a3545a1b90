"""Events: scheduling, registration with a waitlist, check-in at the door and feedback."""
