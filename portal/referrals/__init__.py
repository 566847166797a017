"""Referrals (issue #25): a participant's personal link that brings a colleague or another company into the
program, the referral it records at registration, and the bonus paid once when the invitee's first sale is approved
(capped per referrer and period), with the referrer's view of their invitees' progress and the manager's console."""
