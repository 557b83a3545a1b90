"""Rewards: the club's own rewards and the partners' items, in one federated catalog."""
