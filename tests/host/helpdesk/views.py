from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from .models import Ticket


@login_required
def ticket_page(request, pk):
    ticket = get_object_or_404(Ticket, pk=pk)
    return render(request, "helpdesk/ticket.html",
                  {"ticket": ticket, "realtime_owner": ticket.requester_id})
