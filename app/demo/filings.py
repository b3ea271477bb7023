"""Demo data for the filed reports: the responsible units' narratives for the year and the current quarter.

Written once (an existing narrative is left as it is, so a refreshed demo keeps what was edited in
the browser), in the three languages, for activities whose figures the demo fills: the integrity
hour (2.2), the forum (2.11) and the report to the Board itself (1.8).
"""
from app.extensions import db
from app.filings import service
from app.filings.models import ANNUAL
from app.plan import service as plan_service

NARRATIVES = {
    "2.2": {
        "kk": "Кураторлар адалдық сағатын топтарда өткізді; студенттер платформадағы тестті тапсырды. "
              "Қатыспағандарға қайталама сабақ жоспарланған.",
        "ru": "Кураторы провели час честности в группах; студенты прошли тест на платформе. "
              "Для не участвовавших запланировано повторное занятие.",
        "en": "Curators held the integrity hour in their groups; students sat the quiz on the platform. "
              "A repeat session is planned for those who missed it.",
    },
    "2.11": {
        "kk": "9 желтоқсан – Халықаралық сыбайлас жемқорлыққа қарсы күреске арналған форум мәжіліс залында өтті; "
              "қатысушылар тіркеу коды арқылы белгіленді. БАҚ-та жарияланды.",
        "ru": "Форум к 9 декабря — Международному дню борьбы с коррупцией — прошёл в актовом зале; "
              "участники отмечены по коду регистрации. Освещён в СМИ.",
        "en": "The forum for 9 December, International Anti-Corruption Day, was held in the main assembly hall; "
              "attendance was taken with the check-in code. Covered by the media.",
    },
    "1.8": {
        "kk": "Құрылымдық бөлімшелер тыңдалды; жоспардың орындалуы туралы есеп осы платформада жасалды.",
        "ru": "Заслушаны структурные подразделения; отчёт о выполнении плана сформирован на этой платформе.",
        "en": "Structural divisions were heard; the report on the plan's implementation was built on this platform.",
    },
}


def build(calendar, admin) -> tuple[list[str], list[str]]:
    """Write the narratives the demo's reports show (year and current quarter); return steps and summary."""
    plan = calendar.plan
    periods = [ANNUAL] + [q.key for q in service.quarters(plan) if q.starts_on <= calendar.today <= q.ends_on]
    written = 0
    for code, texts in NARRATIVES.items():
        activity = plan_service.activity_by_code(plan, code)
        for period in periods:
            for language, text in texts.items():
                if service.narrative(activity.id, period, language) is None:
                    service.save_narrative(activity, period, language, text, admin)
                    written += 1
    db.session.commit()
    return [f"filed reports: {written} narratives written"], []
