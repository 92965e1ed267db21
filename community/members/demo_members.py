"""The demo community's people: one builder and a dozen members across the world's time zones.

Used by `manage.py seed_demo`; every function here is idempotent (accounts are found by email).
"""

from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from community.members.enums import Visibility
from community.members.models import Area, Profile, User

BUILDER_EMAIL = "builder@example.org"
BUILDER_PASSWORD = "wicn-demo-builder"  # noqa: S105 - published demo credentials, README gives them
MEMBER_PASSWORD = "wicn-demo-member"  # noqa: S105 - published demo credentials, README gives them


@dataclass(frozen=True)
class DemoPerson:
    email: str
    display_name: str
    pronouns: str
    time_zone: str
    location: str
    bio: str
    interests: tuple[str, ...] = ()
    visibility: str = Visibility.PUBLIC
    github: str = ""
    website: str = ""
    extra: dict[str, str] = field(default_factory=dict)


BUILDER = DemoPerson(
    email=BUILDER_EMAIL,
    display_name="Rosa Builder",
    pronouns="she/her",
    time_zone="Europe/Amsterdam",
    location="Amsterdam, Netherlands",
    bio="Runs the community's mentorship batches and workshops. Ask me anything about getting involved.",
    interests=("leadership", "open-source"),
)

MEMBERS = [
    DemoPerson(
        email="ada@example.org",
        display_name="Ada Mensah",
        pronouns="she/her",
        time_zone="Africa/Accra",
        location="Accra, Ghana",
        bio="Platform engineer running Kubernetes for a fintech. Contributor to SIG Docs; happy to review "
        "your first pull request.",
        interests=("technical-guidance", "open-source"),
        github="https://github.com/ada-mensah-demo",
    ),
    DemoPerson(
        email="grace@example.org",
        display_name="Grace Liu",
        pronouns="she/her",
        time_zone="America/Toronto",
        location="Toronto, Canada",
        bio="Staff SRE. I talk about observability, on-call that does not burn people out, and moving from "
        "senior to staff.",
        interests=("career-ladder", "leadership", "conference-speaking"),
    ),
    DemoPerson(
        email="hedy@example.org",
        display_name="Hedy Novak",
        pronouns="she/her",
        time_zone="Europe/Vienna",
        location="Vienna, Austria",
        bio="Security engineer, supply-chain nerd (SBOMs, signing, admission policies). Looking for a mentor in "
        "public speaking.",
        interests=("conference-speaking", "technical-guidance"),
        visibility=Visibility.MEMBERS,
    ),
    DemoPerson(
        email="radia@example.org",
        display_name="Radia Haddad",
        pronouns="she/her",
        time_zone="Africa/Casablanca",
        location="Casablanca, Morocco",
        bio="Network engineer turned service-mesh maintainer. Mentor for contributors who want to find their way "
        "around a big codebase.",
        interests=("open-source", "technical-guidance"),
        github="https://github.com/radia-haddad-demo",
    ),
    DemoPerson(
        email="katherine@example.org",
        display_name="Katherine Brooks",
        pronouns="she/her",
        time_zone="America/New_York",
        location="New York, USA",
        bio="Engineering manager of a platform team of nine. Negotiated three offers last year and happy to "
        "share the scripts.",
        interests=("salary-negotiation", "leadership", "career-ladder"),
    ),
    DemoPerson(
        email="margaret@example.org",
        display_name="Margaret Tan",
        pronouns="she/her",
        time_zone="Asia/Singapore",
        location="Singapore",
        bio="Cloud architect at a bank; CKA and CKS. Interested in multi-cluster networking and in helping "
        "juniors pass their certifications.",
        interests=("technical-guidance", "career-ladder"),
        visibility=Visibility.MEMBERS,
    ),
    DemoPerson(
        email="frances@example.org",
        display_name="Frances Oyelaran",
        pronouns="she/her",
        time_zone="Africa/Lagos",
        location="Lagos, Nigeria",
        bio="Developer advocate. Gave my first KubeCon talk two years ago and now help others write their CFP.",
        interests=("conference-speaking", "open-source"),
        website="https://frances-demo.example.org",
    ),
    DemoPerson(
        email="annie@example.org",
        display_name="Annie Kowalski",
        pronouns="they/them",
        time_zone="Europe/Warsaw",
        location="Kraków, Poland",
        bio="Backend developer learning operators and controllers. Looking for a mentor and for people to pair "
        "with on a first contribution.",
        interests=("open-source", "technical-guidance"),
    ),
    DemoPerson(
        email="joan@example.org",
        display_name="Joan Ferreira",
        pronouns="she/her",
        time_zone="America/Sao_Paulo",
        location="São Paulo, Brazil",
        bio="Data engineer moving workloads onto Kubernetes with Airflow. Ask me about career switches.",
        interests=("career-ladder", "salary-negotiation"),
        visibility=Visibility.MEMBERS,
    ),
    DemoPerson(
        email="priya@example.org",
        display_name="Priya Raman",
        pronouns="she/her",
        time_zone="Asia/Kolkata",
        location="Bengaluru, India",
        bio="Release engineer on a CNCF graduated project. I mentor through LFX every term and love a good "
        "flaky-test hunt.",
        interests=("open-source", "leadership", "technical-guidance"),
        github="https://github.com/priya-raman-demo",
    ),
    DemoPerson(
        email="yuki@example.org",
        display_name="Yuki Tanaka",
        pronouns="they/them",
        time_zone="Asia/Tokyo",
        location="Tokyo, Japan",
        bio="SRE and meetup organiser in Tokyo. Interested in leadership without the manager title.",
        interests=("leadership", "conference-speaking"),
    ),
    DemoPerson(
        email="sofia@example.org",
        display_name="Sofía Morales",
        pronouns="she/her",
        time_zone="America/Mexico_City",
        location="Mexico City, Mexico",
        bio="Junior cloud engineer, six months in. Here to learn everything, and to practise negotiating my "
        "first raise.",
        interests=("salary-negotiation", "career-ladder", "technical-guidance"),
    ),
    DemoPerson(
        email="lena@example.org",
        display_name="Lena Schmidt",
        pronouns="she/her",
        time_zone="Europe/Berlin",
        location="Berlin, Germany",
        bio="Product engineer on an internal developer platform. Writing my first conference proposal.",
        interests=("conference-speaking", "career-ladder"),
        visibility=Visibility.MEMBERS,
    ),
]


def _ensure_person(person: DemoPerson, *, password: str, builder: bool = False) -> User:
    username = person.email.split("@", 1)[0]
    user, created = User.objects.get_or_create(email=person.email, defaults={"username": username})
    if created:
        user.set_password(password)
    if builder:
        user.is_staff = True
        user.is_superuser = True
    user.save()
    EmailAddress.objects.update_or_create(user=user, email=person.email, defaults={"verified": True, "primary": True})
    profile, _ = Profile.objects.update_or_create(
        user=user,
        defaults={
            "display_name": person.display_name,
            "pronouns": person.pronouns,
            "time_zone": person.time_zone,
            "location": person.location,
            "bio": person.bio,
            "visibility": person.visibility,
            "github_url": person.github,
            "website_url": person.website,
        },
    )
    if profile.code_of_conduct_accepted_at is None:
        profile.code_of_conduct_accepted_at = timezone.now()
        profile.save(update_fields=["code_of_conduct_accepted_at"])
    profile.interests.set(Area.objects.filter(slug__in=person.interests))
    return user


@transaction.atomic
def seed_members() -> tuple[User, list[User]]:
    """Create (or bring back to their demo state) the builder and the members. Returns (builder, members).

    Passwords are only set when an account is created, so a demo user who changed theirs keeps it.
    """
    builder = _ensure_person(BUILDER, password=BUILDER_PASSWORD, builder=True)
    members = [_ensure_person(person, password=MEMBER_PASSWORD) for person in MEMBERS]
    return builder, members
