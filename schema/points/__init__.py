"""Points: purchases, the ledger and what explains a balance, and the mutations that move points."""
