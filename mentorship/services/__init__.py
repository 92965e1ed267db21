"""Every write use-case of the mentorship program (see each module's functions)."""

from mentorship.services.applications import (
    apply_as_mentee,
    apply_as_mentor,
    update_mentee_application,
    update_mentor_application,
    withdraw_application,
)
from mentorship.services.batches import activate_batch, close_batch, complete_batch, create_batch, open_batch
from mentorship.services.followup import (
    answer_check_in,
    ask_check_ins,
    check_in_from_token,
    check_in_token,
    end_match_early,
    give_feedback,
    join_rematch_queue,
    record_check_in,
)
from mentorship.services.matching import run_matching
from mentorship.services.nudges import (
    ask_for_feedback,
    tell_builders_pairs_not_met,
    tell_waiting_mentees_places_open,
)
from mentorship.services.review import (
    approve_all_matches,
    approve_match,
    publish_batch,
    reject_match,
    remove_pair_rule,
    set_pair_rule,
    swap_mentors,
)

__all__ = [
    "activate_batch",
    "answer_check_in",
    "apply_as_mentee",
    "apply_as_mentor",
    "approve_all_matches",
    "approve_match",
    "ask_check_ins",
    "ask_for_feedback",
    "check_in_from_token",
    "check_in_token",
    "close_batch",
    "complete_batch",
    "create_batch",
    "end_match_early",
    "give_feedback",
    "join_rematch_queue",
    "open_batch",
    "publish_batch",
    "record_check_in",
    "reject_match",
    "remove_pair_rule",
    "run_matching",
    "set_pair_rule",
    "swap_mentors",
    "tell_builders_pairs_not_met",
    "tell_waiting_mentees_places_open",
    "update_mentee_application",
    "update_mentor_application",
    "withdraw_application",
]
