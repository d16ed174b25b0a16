"""SafeShare's exceptions.

SafeShareError
├── StoreUnavailable      a database cannot be reached (raised by safeshare.db.session; for a new
│                         inquiry or vote the spool takes over)
├── DeliveryError         a staff answer could not be delivered on its channel
│   └── ChannelUnreachable    the channel's server (Telegram, Rasa) did not answer
├── NotificationError     a staff notification could not be sent (it is retried later)
├── TransitionRefused     a staff action the inquiry's state does not allow (safeshare.inquiries)
└── AuthError             a console login or permission failure
    └── LoginThrottled        too many failed logins; try again later
"""

from __future__ import annotations


class SafeShareError(Exception):
    pass


class StoreUnavailable(SafeShareError):
    pass


class DeliveryError(SafeShareError):
    pass


class ChannelUnreachable(DeliveryError):
    pass


class NotificationError(SafeShareError):
    pass


class AuthError(SafeShareError):
    pass


class LoginThrottled(AuthError):
    pass
