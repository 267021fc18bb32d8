"""The Derivaciones page (issue #8): referrals, the service directory, the referral
dialog, recording the counter-referral and the slip preview."""
