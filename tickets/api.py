"""The tickets API: the same services and the same scoping as the HTML pages."""

from __future__ import annotations

from typing import cast

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Team, User

from . import services
from .models import Level, Service, Ticket


class TicketOutput(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    service: serializers.StringRelatedField[Service] = serializers.StringRelatedField()
    team: serializers.StringRelatedField[Team] = serializers.StringRelatedField()
    assignee: serializers.StringRelatedField[User] = serializers.StringRelatedField()
    requester: serializers.StringRelatedField[User] = serializers.StringRelatedField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "subject",
            "description",
            "status",
            "priority",
            "category",
            "impact",
            "urgency",
            "service",
            "team",
            "assignee",
            "requester",
            "created_at",
            "updated_at",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "version",
        ]


class TicketInput(serializers.Serializer):
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.active())
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20000)
    category = serializers.ChoiceField(
        choices=Ticket.Category.choices, default=Ticket.Category.INCIDENT
    )
    impact = serializers.ChoiceField(choices=Level.choices, default=Level.LOW)
    urgency = serializers.ChoiceField(choices=Level.choices, default=Level.LOW)


class AssignInput(serializers.Serializer):
    # The service checks the agent is active staff in the ticket's team.
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True)
    version = serializers.IntegerField(required=False, allow_null=True, default=None)


def get_ticket(user: User, pk: int) -> Ticket:
    tickets = Ticket.objects.visible_to(user).select_related(
        "service", "team", "assignee", "requester"
    )
    return get_object_or_404(tickets, pk=pk)


@extend_schema(request=TicketInput, responses=TicketOutput(many=True))
@api_view(["GET", "POST"])
def ticket_list(request: Request) -> Response:
    user = cast(User, request.user)  # signed in: IsAuthenticated is the default permission
    if request.method == "POST":
        data = TicketInput(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.create_ticket(requester=user, by=user, **data.validated_data)
        return Response(TicketOutput(ticket).data, status=status.HTTP_201_CREATED)
    tickets = Ticket.objects.visible_to(user).select_related(
        "service", "team", "assignee", "requester"
    )
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(tickets.order_by("-created_at"), request)
    return paginator.get_paginated_response(TicketOutput(page, many=True).data)


@extend_schema(responses=TicketOutput)
@api_view(["GET"])
def ticket_detail(request: Request, pk: int) -> Response:
    user = cast(User, request.user)  # signed in: IsAuthenticated is the default permission
    return Response(TicketOutput(get_ticket(user, pk)).data)


@extend_schema(request=None, responses=TicketOutput)
@api_view(["POST"])
def ticket_take(request: Request, pk: int) -> Response:
    """Take an unassigned ticket; a 409 names whoever took it first."""
    user = cast(User, request.user)  # signed in: IsAuthenticated is the default permission
    ticket = services.take_ticket(get_ticket(user, pk), by=user)
    return Response(TicketOutput(ticket).data)


@extend_schema(request=AssignInput, responses=TicketOutput)
@api_view(["POST"])
def ticket_assign(request: Request, pk: int) -> Response:
    """Assign a ticket (or unassign it with a null assignee); a stale version is a 409."""
    user = cast(User, request.user)  # signed in: IsAuthenticated is the default permission
    ticket = get_ticket(user, pk)
    data = AssignInput(data=request.data)
    data.is_valid(raise_exception=True)
    ticket = services.assign_ticket(
        ticket,
        agent=data.validated_data["assignee"],
        version=data.validated_data["version"],
        by=user,
    )
    return Response(TicketOutput(ticket).data)
