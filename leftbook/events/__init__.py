"""Event threads: on a board marked `events = true`, a new thread announces an existing,
public event (its start, an optional end, a city or region, the organisers' public page).
`fields` checks what was sent, `listing` orders a board's threads (upcoming, today, past) and
says when an event is over, `calendar` writes iCalendar."""
