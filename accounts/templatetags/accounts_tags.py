from django import template

register = template.Library()


@register.filter
def minutes(delta) -> int:
    """A timedelta in whole minutes, rounded up."""
    seconds = delta.total_seconds()
    return int(-(-seconds // 60))
