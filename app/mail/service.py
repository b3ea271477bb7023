"""Composing messages in each person's language, the outbox, SMTP delivery and opt-out links.

Every message goes through the outbox: composing writes a row whose key names what it is, and the
unique key means a job or a reminder that runs twice writes it once. Delivery sends the rows not
yet sent, committing each one as soon as the server has accepted it, so a worker killed mid-way
and started again sends only what is left. (The one case SMTP itself leaves open — the server took
the message but the worker died before hearing so — gets the same Message-ID again, derived from
the key, which mail systems use to drop the duplicate.)
"""
import hashlib
import hmac
import logging
import smtplib
import ssl
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select

from app.core.clock import utcnow
from app.core.db_helpers import dialect_insert
from app.extensions import db
from app.jobs.models import QUEUED, RUNNING, Job
from app.mail.models import MailOptOut, OutboxMessage
from app.people.models import User

logger = logging.getLogger(__name__)

ACCOUNT = "account"   # invitations and password resets: a person cannot opt out of these
OPTIONAL = ("integrity", "course", "jury", "survey", "event", "deliverable", "digest")
MAX_ATTEMPTS = 5      # a message a server refused this often is left alone
BATCH = 200


def category_label(category: str) -> str:
    return {
        "integrity": _("Reminders of the integrity hour"),
        "course": _("Reminders of a course left half-way"),
        "jury": _("Reminders to jurors before judging closes"),
        "survey": _("A survey wave opening"),
        "event": _("An event starting"),
        "deliverable": _("A deliverable of your unit overdue"),
        "digest": _("The weekly digest of unread notifications"),
        ACCOUNT: _("Invitations and password resets"),
    }.get(category, category)


def configured(config) -> bool:
    """Whether SMTP is set up; without it messages stay in the outbox and nothing is sent."""
    return bool(config.get("SMTP_HOST"))


# --- links ----------------------------------------------------------------------------------------

def external_url(endpoint: str, **values) -> str:
    """An absolute link to a page, for a message read outside the platform (BASE_URL, else SERVER_NAME)."""
    config = current_app.config
    base = config.get("BASE_URL") or (f"http://{config['SERVER_NAME']}" if config.get("SERVER_NAME")
                                      else "http://localhost:5000")
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def _opt_out_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="mail-opt-out")


def opt_out_token(user_id: int, category: str) -> str:
    """A signed token naming a person and a category; it never expires (a link in an old message works)."""
    return _opt_out_serializer().dumps([user_id, category])


def read_opt_out_token(token: str) -> tuple[int, str] | None:
    try:
        user_id, category = _opt_out_serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or category not in OPTIONAL:
        return None
    return user_id, category


def opt_out(user_id: int, category: str) -> bool:
    """Stop messages of `category` to the person. Return True if this changed anything."""
    if category not in OPTIONAL:
        return False
    done = db.session.execute(dialect_insert(MailOptOut).values(user_id=user_id, category=category, created_at=utcnow())
                              .on_conflict_do_nothing())
    db.session.commit()
    if done.rowcount:
        logger.info("user %s opted out of %s e-mail", user_id, category)
    return bool(done.rowcount)


def set_preferences(user: User, wanted: set[str]) -> None:
    """Keep exactly the optional categories in `wanted`; opt out of the others."""
    db.session.execute(MailOptOut.__table__.delete().where(MailOptOut.user_id == user.id))
    for category in OPTIONAL:
        if category not in wanted:
            db.session.add(MailOptOut(user_id=user.id, category=category))
    db.session.commit()
    logger.info("user %s set e-mail preferences: %s", user.id, sorted(wanted))


def opted_out(user_ids, category: str) -> set[int]:
    """Which of these people opted out of `category` (one query per 1,000 people)."""
    user_ids, result = list(user_ids), set()
    for start in range(0, len(user_ids), 1000):
        result.update(db.session.execute(select(MailOptOut.user_id).where(
            MailOptOut.category == category, MailOptOut.user_id.in_(user_ids[start:start + 1000]))).scalars())
    return result


def preferences(user: User) -> set[str]:
    out = set(db.session.execute(select(MailOptOut.category).where(MailOptOut.user_id == user.id)).scalars())
    return {category for category in OPTIONAL if category not in out}


# --- composing ------------------------------------------------------------------------------------

def language_of(user: User) -> str:
    languages = current_app.config["LANGUAGES"]
    return user.language if user.language in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def compose(user: User, *, key: str, category: str, template: str, subject, job_id: int | None = None,
            **context) -> dict:
    """Render a message to `user` in their language (plain text and HTML); return its outbox row.

    `subject` is a function returning the translated subject, called in the person's language.
    Templates are mail/<template>.txt and .html; they get `person`, `subject`, `opt_out_url`
    (for the optional categories) and `context`."""
    return compose_all([user], lambda _person: dict(key=key, category=category, template=template, subject=subject,
                                                    job_id=job_id, **context))[0]


def compose_all(people, describe) -> list[dict]:
    """Compose one message per person; `describe(person)` gives compose()'s keyword arguments.

    People are taken language by language: switching the language reloads its catalog, so a
    thousand invitations switch three times, not a thousand."""
    environment = current_app.jinja_env
    by_language: dict[str, list] = {}
    for person in people:
        by_language.setdefault(language_of(person), []).append(person)
    rows = []
    for language, group in by_language.items():
        with force_locale(language):
            for person in group:
                spec = dict(describe(person))
                key, category, template, subject = (spec.pop(name) for name in ("key", "category", "template", "subject"))
                job_id = spec.pop("job_id", None)
                values = dict(person=person, language=language, category_label=category_label(category),
                              opt_out_url=external_url("mail.unsubscribe", token=opt_out_token(person.id, category))
                              if category in OPTIONAL else None,
                              preferences_url=external_url("mail.preferences"), **spec)
                title = subject()
                rows.append(dict(
                    key=key, user_id=person.id, to_address=person.email, category=category, language=language,
                    subject=title[:300], job_id=job_id, created_at=utcnow(), attempts=0, last_error="",
                    text_body=environment.get_template(f"mail/{template}.txt").render(subject=title, **values),
                    html_body=environment.get_template(f"mail/{template}.html").render(subject=title, **values)))
    return rows


def existing_keys(keys) -> set[str]:
    """Which of these message keys the outbox already holds."""
    keys, found = list(keys), set()
    for start in range(0, len(keys), 500):
        found.update(db.session.execute(select(OutboxMessage.key).where(
            OutboxMessage.key.in_(keys[start:start + 500]))).scalars())
    return found


def add_to_outbox(rows: list[dict]) -> int:
    """Write messages to the outbox; a key already there is left as it is. Return how many were new."""
    added = 0
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        taken = existing_keys(row["key"] for row in chunk)
        chunk = [row for row in chunk if not (row["key"] in taken or taken.add(row["key"]))]
        if chunk:
            db.session.execute(dialect_insert(OutboxMessage).on_conflict_do_nothing(index_elements=["key"]), chunk)
            added += len(chunk)
    return added


# --- delivery -------------------------------------------------------------------------------------

def message_id(key: str, config) -> str:
    """The same Message-ID every time a message is sent, so a receiving system can drop a repeat."""
    digest = hmac.new(config["SECRET_KEY"].encode(), key.encode(), hashlib.sha256).hexdigest()[:32]
    domain = parseaddr(config["MAIL_FROM"])[1].rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


def build_email(message, config) -> MIMEMultipart:
    """The message as MIME: plain text and HTML alternatives, UTF-8, base64.

    Built with the email package's compat32 classes: its newer header-parsing API costs tens of
    milliseconds per message, which for 20,000 invitations is most of the sending time."""
    email = MIMEMultipart("alternative")
    name, address = parseaddr(config["MAIL_FROM"])
    email["From"] = formataddr((name, address), charset="utf-8")
    email["To"] = message.to_address
    email["Subject"] = Header(message.subject, "utf-8")
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = message_id(message.key, config)
    email["Content-Language"] = message.language
    email["Auto-Submitted"] = "auto-generated"
    if message.category in OPTIONAL and message.user_id:
        # RFC 8058: a mail program's own "unsubscribe" button posts to this link.
        email["List-Unsubscribe"] = "<" + external_url(
            "mail.unsubscribe", token=opt_out_token(message.user_id, message.category)) + ">"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.attach(MIMEText(message.text_body, "plain", "utf-8"))
    email.attach(MIMEText(message.html_body, "html", "utf-8"))
    return email


class SmtpConnection:
    """One connection to the configured SMTP server, opened again once if the server drops it."""
    def __init__(self, config):
        self.config = config
        self.smtp = None

    def open(self):
        config = self.config
        timeout = config.get("SMTP_TIMEOUT", 30)
        if config.get("SMTP_SSL"):
            self.smtp = smtplib.SMTP_SSL(config["SMTP_HOST"], config["SMTP_PORT"], timeout=timeout,
                                         context=ssl.create_default_context())
        else:
            self.smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=timeout)
            if config.get("SMTP_STARTTLS"):
                self.smtp.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USER"):
            self.smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")

    def send(self, email: MIMEMultipart) -> None:
        if self.smtp is None:
            self.open()
        try:
            self.smtp.send_message(email)
        except smtplib.SMTPServerDisconnected:
            self.open()
            self.smtp.send_message(email)

    def close(self):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.smtp = None

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()


def pending_query(job_id: int):
    return select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS,
                                          OutboxMessage.job_id == job_id)


def adopt_waiting(job_id: int) -> int:
    """Make the job the owner of every unsent message no running job owns (left by a finished job,
    or written while e-mail was off). Each message belongs to one job, and a job runs in one place
    at a time, so two deliveries never send the same message."""
    busy = select(Job.id).where(Job.state.in_((QUEUED, RUNNING)), Job.id != job_id)
    adopted = db.session.execute(OutboxMessage.__table__.update().where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS,
        (OutboxMessage.job_id.is_(None)) | (OutboxMessage.job_id.not_in(busy))).values(job_id=job_id)).rowcount
    db.session.commit()
    return adopted


def deliver(config, *, job_id: int, progress=None) -> dict:
    """Send the unsent messages of a job; return the counts.

    Without SMTP settings nothing is sent and the messages wait. A message the server refuses is
    counted, its error kept, and tried again next time (up to MAX_ATTEMPTS); a server that cannot be
    reached raises, so the job fails and can be retried."""
    ids = db.session.execute(pending_query(job_id).order_by(OutboxMessage.id)).scalars().all()
    if not configured(config):
        return {"sent": 0, "failed": 0, "not_sent": len(ids)}
    sent = failed = 0
    columns = [OutboxMessage.id, OutboxMessage.key, OutboxMessage.user_id, OutboxMessage.to_address,
               OutboxMessage.category, OutboxMessage.language, OutboxMessage.subject, OutboxMessage.text_body,
               OutboxMessage.html_body, OutboxMessage.attempts]
    table = OutboxMessage.__table__
    with SmtpConnection(config) as connection:
        for start in range(0, len(ids), BATCH):
            # Plain rows, not objects: committing after each message then expires nothing to reload.
            messages = db.session.execute(select(*columns).where(
                OutboxMessage.id.in_(ids[start:start + BATCH]), OutboxMessage.sent_at.is_(None))
                .order_by(OutboxMessage.id)).all()
            for message in messages:
                try:
                    connection.send(build_email(message, config))
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
                    db.session.execute(table.update().where(table.c.id == message.id).values(
                        attempts=message.attempts + 1, last_error=str(error)[:1000]))
                    failed += 1
                    logger.warning("message %s refused by the mail server: %s", message.id, error)
                else:
                    db.session.execute(table.update().where(table.c.id == message.id).values(
                        attempts=message.attempts + 1, sent_at=utcnow()))
                    sent += 1
                db.session.commit()   # one message at a time: a restart resends nothing already accepted
                if progress:
                    progress(sent + failed, len(ids))
    logger.info("mail delivery: %s sent, %s refused", sent, failed)
    return {"sent": sent, "failed": failed, "not_sent": 0}


def outbox_counts() -> dict:
    """How many messages wait, were sent, or were given up."""
    waiting = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS))
    sent = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_not(None)))
    given_up = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.attempts >= MAX_ATTEMPTS))
    return {"waiting": waiting, "sent": sent, "given_up": given_up}
