from django.shortcuts import render


def period_list(request):
    return render(request, "rankings/period_list.html", {"periods": []})


def period_leaderboard(request, code):
    return render(request, "rankings/period_list.html", {"periods": []})
