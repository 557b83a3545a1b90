"""Redemptions and vouchers: `rewardRedeem`, the Redemption and Voucher types, the member's lists."""
