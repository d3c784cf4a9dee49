from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.roles import Role, role_required


@role_required(Role.TRADER)
def ladder_page(request: HttpRequest) -> HttpResponse:
    return render(request, "ladder/ladder.html", {"active": "ladder"})


@role_required(Role.TRADER)
def analytics_page(request: HttpRequest) -> HttpResponse:
    return render(request, "ladder/analytics.html", {"active": "analytics"})
