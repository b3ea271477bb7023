"""The demo's privacy notice (version 1, in three languages) and the demo accounts' consent to it."""
from app.privacy import notice

NOTICE = {
    "en": (
        "Sanaly Urpaq is run by the university's Anti-corruption Compliance Service (ACS) under the Law of the "
        "Republic of Kazakhstan No. 94-V \"On Personal Data and Their Protection\".\n\n"
        "We keep your name, e-mail, group or unit and roles to let you sign in and to count, against the "
        "official headcount, who took part in the anti-corruption plan's activities. We keep your course "
        "progress, quiz attempts, contest entries, scores you give as a juror, XP, badges, certificates, "
        "check-ins, volunteering and club activity to run those activities.\n\n"
        "Survey answers are anonymous and are not linked to you. Reports can be anonymous.\n\n"
        "Each kind of data is kept only as long as the register of processing says. You can download a copy of "
        "your data and ask for erasure from your profile; your results then stay in the figures without your "
        "name. Every opening of a person's data by staff is logged and checked by the data protection officer."),
    "kk": (
        "«Саналы ұрпақ» платформасын университеттің Сыбайлас жемқорлыққа қарсы комплаенс қызметі (СЖҚКҚ) "
        "Қазақстан Республикасының «Дербес деректер және оларды қорғау туралы» № 94-V Заңына сәйкес жүргізеді.\n\n"
        "Жүйеге кіруіңіз үшін және жоспар іс-шараларына кім қатысқанын ресми контингентпен салыстыру үшін "
        "атыңызды, e-mail-ді, тобыңызды немесе бөлімшеңізді және рөлдеріңізді сақтаймыз. Іс-шараларды өткізу үшін "
        "курстардағы үлгеріміңізді, тест әрекеттеріңізді, байқау жұмыстарыңызды, қазылық бағаларыңызды, XP, "
        "белгілерді, сертификаттарды, тіркелулерді, волонтерлік пен клубтағы белсенділікті сақтаймыз.\n\n"
        "Сауалнама жауаптары анонимді және сізбен байланыстырылмайды. Хабарламалар анонимді болуы мүмкін.\n\n"
        "Әр деректер түрі өңдеу тізілімінде көрсетілген мерзімге дейін ғана сақталады. Профильден деректеріңіздің "
        "көшірмесін жүктеп алып, оларды өшіруді сұрай аласыз; нәтижелеріңіз сандарда атыңызсыз қалады. "
        "Қызметкерлердің адам деректерін әр ашуы журналға жазылады, оны дербес деректерді қорғау жөніндегі "
        "маман тексереді."),
    "ru": (
        "Платформу «Саналы ұрпақ» ведёт Служба антикоррупционного комплаенса университета (САК) в соответствии "
        "с Законом Республики Казахстан № 94-V «О персональных данных и их защите».\n\n"
        "Мы храним ваше имя, e-mail, группу или подразделение и роли, чтобы вы могли войти и чтобы считать "
        "участие в мероприятиях антикоррупционного плана относительно официального контингента. Мы храним "
        "прогресс в курсах, попытки тестов, конкурсные работы, оценки, которые вы ставите как член жюри, XP, "
        "значки, сертификаты, отметки на мероприятиях, волонтёрство и участие в клубе, чтобы проводить эти "
        "мероприятия.\n\n"
        "Ответы на опросы анонимны и не связаны с вами. Сообщения могут быть анонимными.\n\n"
        "Каждый вид данных хранится не дольше срока, указанного в реестре обработки. В профиле можно скачать "
        "копию своих данных и попросить их удалить; ваши результаты останутся в цифрах без вашего имени. "
        "Каждый просмотр чужих данных сотрудником записывается в журнал, который проверяет ответственный "
        "за защиту персональных данных."),
}


def build(users: dict, admin, moment) -> tuple[list[str], list[str]]:
    """Publish the demo notice once, and record the demo accounts' consent to the version in force."""
    current = notice.current_notice()
    steps = []
    if current is None:
        current = notice.publish_notice(NOTICE, admin.id, moment)
        steps.append(f"privacy notice version {current.version} published")
    for user in users.values():
        notice.give_consent(user.id, current.version, moment)
    steps.append(f"demo accounts consented to privacy notice version {current.version}")
    return steps, []
