"""The content linter's rules (`flask --app wsgi load-content --check`): what a file must meet beyond loading.

A file that loads is well formed; these rules ask whether it is fair and finished. Each rule is one
plain function over plain data (the dicts and text the loaders read) returning the problems it
finds, so a test can feed it a three-line fixture. `app/loading.py` reads the content and runs them all.

Question banks (quizzes and brain ring sets):
- option_length_bias: the right option must not be the uniquely longest (or shortest) one more often
  than chance;
- duplicate_items: banks that count for different activities must not share an item;
- missing_translations / short_translation: every text in Kazakh and Russian, none cut short;
- fresh_retakes: a quiz that shows its answers after an attempt must be able to draw new questions
  for the next one.
Lessons: lesson_words, lesson_sections (a case and discussion questions), footnote_sources,
draft_markers, missing_lesson_translations and short_translation.
"""
import re
from dataclasses import dataclass
from urllib.parse import urlparse

from app.core.content import TRANSLATION_LANGUAGES

LANGUAGE_NAMES = {"kk": "Kazakh", "ru": "Russian"}     # as the linter's findings (in English) name them
SIGNIFICANCE = 0.05          # the binomial test's level for option-length bias
DUPLICATE_SIMILARITY = 0.8   # items at least this similar (see item_similarity) are the same item
MIN_LESSON_WORDS = 600
MIN_TRANSLATION_SHARE = 0.5  # a translation has at least half the words of its original

# Footnotes cite primary or official sources: a URL on one of these domains (or a subdomain), or one
# of the two seed documents by name. kstu.kz is the university's own site (Abylkas Saginov Karaganda
# Technical University, whose 2024-2025 plan the platform carries); egov.kz is the government's portal.
OFFICIAL_DOMAINS = ("adilet.zan.kz", "gov.kz", "anticorruption.gov.kz", "egov.kz", "un.org", "unodc.org", "kstu.kz")
SEED_DOCUMENTS = ("sanaly urpaq project paper", "university anti-corruption plan 2024-2025")
DRAFT_MARKERS = ("not checked", "todo", "tbd", "draft", "проверить", "тексеру керек")
# Outside footnotes only markers that are never prose: "draft" and "проверить" are ordinary words in a lesson.
BODY_DRAFT_MARKERS = re.compile(r"\b(?:TODO|TBD|FIXME)\b")
CASE_HEADINGS = ("case", "кейс", "жағдаят")
DISCUSSION_HEADINGS = ("discussion", "обсужд", "талқыла")

URL = re.compile(r"https?://[^\s<>)\]\"'»]+")
FOOTNOTE = re.compile(r"^\[\^([^\]]+)\]:[ \t]*(.*)$")
HEADING = re.compile(r"^#{1,6}\s+(.*)$")
WORD = re.compile(r"\w+", re.UNICODE)
# Words that say nothing about what an item asks, in the three languages: left out of its fingerprint.
FUNCTION_WORDS = frozenset("""
the and for with that this what which who whom whose when where why how are was were has have had not but you your
his her their they them she him its from into about than then there these those will would should could can may might
must does did done been being also only just more most other some such very each every after before under over
between through because while until like true false tick apply
это как что или его она они для при про без над под если когда чтобы также только уже ещё еще был была были быть
есть нет вас ваш ваша ваши вам вы мы наш кто чем тем того этого этом эти этот эта всё все верно неверно
және мен бен пен үшін бұл осы сол ол олар біз сіз сен оның менің сіздің деп емес бар жоқ қандай кім қай ма ме ба бе па пе
""".split())


@dataclass(frozen=True)
class Finding:
    """One problem the linter found: where (file and key), which rule, and what is wrong."""

    where: str
    rule: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem} [{self.rule}]"


# --- question banks ------------------------------------------------------------------------------

def uniquely_longest(options: list[str]) -> int | None:
    """The index of the one option longer than all others, or None when the longest length is shared."""
    lengths = [len(option.strip()) for option in options]
    return lengths.index(max(lengths)) if lengths.count(max(lengths)) == 1 else None


def uniquely_shortest(options: list[str]) -> int | None:
    """The index of the one option shorter than all others, or None when the shortest length is shared."""
    lengths = [len(option.strip()) for option in options]
    return lengths.index(min(lengths)) if lengths.count(min(lengths)) == 1 else None


def chance_of_at_least(observed: int, chances: list[float]) -> float:
    """P(X ≥ observed) where X counts successes of independent trials with the given chances (Poisson binomial)."""
    distribution = [1.0]
    for p in chances:
        distribution = [(distribution[k] if k < len(distribution) else 0.0) * (1 - p)
                        + (distribution[k - 1] * p if k > 0 else 0.0) for k in range(len(distribution) + 1)]
    return sum(distribution[observed:])


def option_length_bias(where: str, items: list[tuple[list[str], int]]) -> list[Finding]:
    """Report a bank whose right option is the uniquely longest (or shortest) more often than chance.

    items: (options, index of the right one) for each single-answer item, in one language. With k
    options placed at random the right one is the uniquely longest with chance at most 1/k, so
    the number of such items is compared with a Poisson binomial of chances 1/k_i, one-sided:
        p = P(X ≥ observed),  biased when p < SIGNIFICANCE.
    The shortest option is tested the same way: a bank fixed by always trimming the right answer
    would teach "pick the shortest" instead.
    """
    if not items:
        return []
    chances = [1 / len(options) for options, _answer in items]
    findings = []
    for extreme, pick, advice in (("longest", uniquely_longest, "make wrong options as long, and the right one "
                                                                 "sometimes the shortest"),
                                  ("shortest", uniquely_shortest, "make the right option as long as the others "
                                                                  "more often")):
        observed = sum(1 for options, answer in items if pick(options) == answer)
        p = chance_of_at_least(observed, chances)
        if p < SIGNIFICANCE:
            findings.append(Finding(where, "option-length",
                                    f"the right option is the uniquely {extreme} in {observed} of {len(items)} "
                                    f"single-answer items (chance alone: about {sum(chances):.1f}; p = {p:.3f}): {advice}"))
    return findings


def fingerprint(text: str) -> frozenset[str]:
    """The stems of an item's content words: case-folded words of 4+ letters, function words left out, cut to 5 letters."""
    return frozenset(word[:5] for word in WORD.findall(text.casefold())
                     if len(word) > 3 and word not in FUNCTION_WORDS)


def item_text(question: dict) -> str:
    """What makes an item the item it is: its question and its right answer(s), never its wrong options.

    A new set of distractors around the same question and answer is the same item to a student
    who has seen the answer, so distractors are left out of the comparison.
    """
    kind, parts = question.get("type", "single"), [question["text"]]
    answer = question.get("answer")
    if kind == "single":
        parts.append(question["options"][answer])
    elif kind == "multiple":
        parts.extend(question["options"][index] for index in answer)
    elif kind == "short_text":
        parts.append(question["accepted"][0])
    elif kind == "ordering":
        parts.extend(question["items"])
    elif kind == "matching":
        parts.extend(text for pair in question["pairs"] for text in pair)
    elif answer is not None:
        parts.append(str(answer))
    return " ".join(parts)


def item_similarity(first: dict, second: dict) -> float:
    """Dice's coefficient of the two items' fingerprints: 2·|A ∩ B| / (|A| + |B|), from 0 (nothing shared) to 1."""
    a, b = fingerprint(item_text(first)), fingerprint(item_text(second))
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def duplicate_items(banks: list[tuple[str, str, list[dict]]]) -> list[Finding]:
    """Report items shared by banks that count for different activities (similarity ≥ DUPLICATE_SIMILARITY).

    banks: (where, what it counts for, questions). A student who saw an item's answer in one
    activity's review must not meet the same item in another activity.
    """
    findings = []
    for index, (where, purpose, questions) in enumerate(banks):
        for other_where, other_purpose, other_questions in banks[index + 1:]:
            if purpose == other_purpose:
                continue
            for question in questions:
                for other in other_questions:
                    similarity = item_similarity(question, other)
                    if similarity >= DUPLICATE_SIMILARITY:
                        findings.append(Finding(f"{where}: {question['key']}", "duplicate",
                                                f"is the same item as {other_where}: {other['key']} (similarity "
                                                f"{similarity:.2f}), which counts for {other_purpose}, not {purpose}"))
    return findings


TRANSLATED_FIELDS = ("text", "options", "pairs", "items", "explanation", "help", "labels")


def missing_translations(where: str, top: dict, top_fields: dict, questions: list[dict]) -> list[Finding]:
    """Report every text of a bank that has no Kazakh or no Russian version.

    top: {language: {field: text}} as loaded; top_fields: the original's {field: text}; each
    question carries its own {"translations": {language: {field: …}}}.
    """
    findings = []
    for language in TRANSLATION_LANGUAGES:
        name = LANGUAGE_NAMES[language]
        if language not in top:
            findings.append(Finding(where, "translation", f"has no {name} version"))
            continue
        for field, original in top_fields.items():
            if original and not top[language].get(field):
                findings.append(Finding(where, "translation", f"{field}: no {name} text"))
        for question in questions:
            translated = question.get("translations", {}).get(language, {})
            absent = [field for field in TRANSLATED_FIELDS if question.get(field) and not translated.get(field)]
            if absent:
                findings.append(Finding(f"{where}: {question['key']}", "translation", f"no {name} {', '.join(absent)}"))
    return findings


def word_count(text: str) -> int:
    """Count words as the lessons' reading time does (runs of letters and digits)."""
    return len(WORD.findall(text))


def short_translation(where: str, language: str, original_words: int, translated_words: int) -> list[Finding]:
    """Report a translation with fewer than half the words of its original (something was left out)."""
    if translated_words >= MIN_TRANSLATION_SHARE * original_words:
        return []
    return [Finding(where, "translation", f"the {LANGUAGE_NAMES.get(language, language)} version has {translated_words} "
                                          f"words, less than half the original's {original_words}")]


def fresh_retakes(where: str, quiz: dict) -> list[Finding]:
    """Report a quiz that shows answers after each attempt but cannot give the next attempt fresh questions.

    quiz: the loader's spec (feedback, attempts_allowed, draw, questions). With feedback after each
    attempt and more than one attempt, the review hands over the answers of what was drawn; each
    [[draw]] category must therefore hold at least twice its count (the draw then gives a second
    attempt only questions not yet shown), and a quiz without a draw repeats itself entirely.
    """
    if quiz.get("feedback") != "after_attempt" or quiz.get("attempts_allowed") == 1:
        return []
    if not quiz.get("draw"):
        return [Finding(where, "retake", "every attempt gets the same questions, and the review after the first shows "
                                         "their answers: sort the questions into categories with [[draw]] rules")]
    findings = []
    for rule in quiz["draw"]:
        size = sum(1 for q in quiz["questions"] if q.get("category") == rule["category"])
        if size < 2 * rule["count"]:
            findings.append(Finding(where, "retake", f"category {rule['category']!r} draws {rule['count']} of {size}: "
                                                     "a second attempt would repeat questions whose answers it has seen"))
    return findings


# --- lessons --------------------------------------------------------------------------------------

def lesson_words(where: str, markdown: str) -> list[Finding]:
    """Report a lesson (the original) shorter than MIN_LESSON_WORDS words."""
    words = word_count(markdown)
    if words >= MIN_LESSON_WORDS:
        return []
    return [Finding(where, "length", f"has {words} words; a lesson needs at least {MIN_LESSON_WORDS}")]


def headings(markdown: str) -> list[str]:
    """The Markdown headings' texts, case-folded."""
    return [match[1].casefold() for match in map(HEADING.match, markdown.splitlines()) if match]


def lesson_sections(where: str, markdown: str) -> list[Finding]:
    """Report a lesson version without a case study heading or without a discussion-questions heading."""
    found, findings = headings(markdown), []
    if not any(word in heading for heading in found for word in CASE_HEADINGS):
        findings.append(Finding(where, "case", "has no case study (a heading with “Case”, “Кейс” or “Жағдаят”)"))
    if not any(word in heading for heading in found for word in DISCUSSION_HEADINGS):
        findings.append(Finding(where, "discussion", "has no discussion questions (a heading with “Discussion”, "
                                                     "“Обсуждение” or “Талқылау”)"))
    return findings


def footnotes(markdown: str) -> list[tuple[str, str]]:
    """The footnote definitions of a Markdown text: (label, text with its indented continuation lines)."""
    notes, current = [], None
    for line in markdown.splitlines():
        match = FOOTNOTE.match(line)
        if match:
            current = [match[1], match[2]]
            notes.append(current)
        elif current is not None and line.startswith(("    ", "\t")) and line.strip():
            current[1] += " " + line.strip()
        else:
            current = None
    return [(label, text) for label, text in notes]


def official_url(url: str) -> bool:
    """Whether the URL's host is one of OFFICIAL_DOMAINS or a subdomain of one."""
    host = (urlparse(url).hostname or "").casefold().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in OFFICIAL_DOMAINS)


def names_a_seed_document(text: str) -> bool:
    """Whether the text names one of the two seed documents as SEED_DOCUMENTS spells them (any dash, any case)."""
    plain = re.sub(r"[‐-―−]", "-", text).casefold()
    return any(name in plain for name in SEED_DOCUMENTS)


def footnote_sources(where: str, markdown: str) -> list[Finding]:
    """Report footnotes that cite no official source: no URL on an official domain and no seed document."""
    findings = []
    for label, text in footnotes(markdown):
        if not any(official_url(url) for url in URL.findall(text)) and not names_a_seed_document(text):
            findings.append(Finding(f"{where}: [^{label}]", "source",
                                    "cites no official source: give a URL on " + ", ".join(OFFICIAL_DOMAINS)
                                    + " or name the “Sanaly urpaq project paper” or the “University anti-corruption "
                                      "plan 2024-2025”"))
    return findings


def draft_markers(where: str, markdown: str) -> list[Finding]:
    """Report draft notes left for students: any DRAFT_MARKERS in a footnote, TODO/TBD/FIXME anywhere."""
    findings = []
    for label, text in footnotes(markdown):
        plain = text.casefold()
        hits = [marker for marker in DRAFT_MARKERS if re.search(rf"(?<!\w){re.escape(marker)}(?!\w)", plain)]
        if hits:
            findings.append(Finding(f"{where}: [^{label}]", "draft", f"carries a draft note ({', '.join(hits)})"))
    for number, line in enumerate(markdown.splitlines(), 1):
        if not FOOTNOTE.match(line) and BODY_DRAFT_MARKERS.search(line):
            findings.append(Finding(f"{where}: line {number}", "draft", "carries a draft note "
                                                                         f"({BODY_DRAFT_MARKERS.search(line)[0]})"))
    return findings


def missing_lesson_translations(where: str, present: set[str]) -> list[Finding]:
    """Report a lesson without its Kazakh or its Russian version."""
    return [Finding(where, "translation", f"has no {LANGUAGE_NAMES[language]} version")
            for language in TRANSLATION_LANGUAGES if language not in present]


# --- plans ----------------------------------------------------------------------------------------

def missing_plan_translations(where: str, original: dict, activities: list[tuple[str, dict, dict]],
                              translations: dict) -> list[Finding]:
    """Report every text of a plan that has no Kazakh or no Russian version.

    original: the plan's own texts ({field: text}, with "sections": {number: title});
    activities: (code, {field: text}, {language: {field: text}}) for each activity;
    translations: the plan's {language: {field: text, "sections": {…}}} as loaded.
    A text that is empty in the original needs no translation.
    """
    findings = []
    for language in TRANSLATION_LANGUAGES:
        name, file = LANGUAGE_NAMES[language], where.replace(".toml", f".{language}.toml")
        if language not in translations:
            findings.append(Finding(where, "translation", f"has no {name} version ({file})"))
            continue
        found = translations[language]
        for field, text in original.items():
            if field == "sections":
                for number in text:
                    if not found.get("sections", {}).get(number):
                        findings.append(Finding(file, "translation", f"section {number}: no {name} title"))
            elif text and not found.get(field):
                findings.append(Finding(file, "translation", f"{field}: no {name} text"))
        for code, texts, translated in activities:
            if language not in translated:
                findings.append(Finding(file, "translation", f"activity {code}: no {name} version"))
                continue
            absent = [field for field, text in texts.items() if text and not translated[language].get(field)]
            if absent:
                findings.append(Finding(file, "translation", f"activity {code}: no {name} {', '.join(absent)}"))
    return findings
