"""What a member does with their tier's benefits: uses counted against quotas."""
