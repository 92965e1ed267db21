class MentorshipError(Exception):
    """Base of the mentorship domain errors; the message is fit to show a person."""


class InvalidTransition(MentorshipError):
    """A batch or match was asked to move to a status it cannot reach from its current one."""


class ApplicationRefused(MentorshipError):
    """An application cannot be made, changed or withdrawn (closed batch, applied twice, frozen)."""


class MatchingFailed(MentorshipError):
    """A matching run could not start or finish (an impossible pin, no applications)."""


class ReviewRefused(MentorshipError):
    """A builder's review action does not fit the pairs as they are (full mentor, stale pair)."""


class AlreadyPublished(MentorshipError):
    """Another builder published the batch first."""


class FollowUpRefused(MentorshipError):
    """A check-in, feedback or early end that the member may not give (not their match, wrong time)."""
