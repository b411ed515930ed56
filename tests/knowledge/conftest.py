"""Knowledge personas: Kim, an agent with the knowledge editor flag."""

import pytest
from django.contrib.auth.models import Permission

from accounts.models import Team, User
from tests.factories import UserFactory


@pytest.fixture
def knowledge_editor(service_desk: Team) -> User:
    """Kim is an agent given `knowledge.publish_article`: she publishes, retires and reviews."""
    user = UserFactory.create(full_name="Kim Lee", email="kim@example.com", role=User.Role.AGENT)
    service_desk.members.add(user)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="knowledge", codename="publish_article")
    )
    return User.objects.get(pk=user.pk)  # without a permission cache from before the grant
