"""Factories for the models every app shares: members, profiles, areas."""

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from community.members.models import Area, Profile, User


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Area {n}")
    slug = factory.Sequence(lambda n: f"area-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    """A member who has signed up, verified their email and accepted the code of conduct."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"member{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def verified_email(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create and extracted is not False:
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )

    profile = factory.RelatedFactory("tests.factories.ProfileFactory", factory_related_name="user")


class BuilderFactory(UserFactory):
    is_staff = True


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory, profile=None)
    display_name = factory.Faker("name")
    time_zone = "Europe/Berlin"
    visibility = "public"
    code_of_conduct_accepted_at = factory.LazyFunction(timezone.now)
