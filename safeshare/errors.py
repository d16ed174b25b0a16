"""SafeShare's exceptions.

SafeShareError
├── StoreUnavailable      the inquiry database cannot be reached (the spool takes over)
├── NotFound              no record with that reference or id
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


class NotFound(SafeShareError):
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
