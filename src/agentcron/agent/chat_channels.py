"""What the chat assistant knows of channels: the kind of each, the ``list_channels`` tool,
and where and when a task tells its person, in words.

Only masked URLs (``ChannelView.shown``) are read here: a channel's secret URL never reaches
the model, nor the conversation kept in the store.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic_ai import RunContext

from agentcron.agent.deps import ChatDeps
from agentcron.domain import NotifyPolicy
from agentcron.views import ChannelView, TaskView

_KINDS = {
    "email": (
        "email", "mailto", "mailtos", "ses", "sendgrid", "mailgun", "sparkpost", "smtp2go",
        "postmark", "resend", "brevo", "mailersend", "sendpulse", "o365", "azure",
    ),
    "sms": (
        "sms", "twilio", "vonage", "nexmo", "plivo", "sinch", "clicksend", "msgbird", "bulksms",
        "bulkvs", "d7sms", "kavenegar", "smseagle", "smseagles", "burstsms", "kudosity", "seven",
        "freemobile", "httpsms", "46elks", "elks", "clickatell", "telnyx", "infobip", "msg91",
        "smsmgr", "smsmanager", "serwersms", "smsc", "voipms", "mobilemessage", "mobilemsg",
        "octopush", "kaleyra", "klr", "telesign", "atalk", "exotel", "notifyre", "cm", "ringc",
        "smstunnel",
    ),
    "telegram": ("tgram",),
    "webhook": ("json", "jsons", "xml", "xmls", "form", "forms"),
}  # fmt: skip
"""Apprise's schemes (and the shorthands) by the kind a person names: 'text me' means sms."""
_KIND_OF = {scheme: kind for kind, schemes in _KINDS.items() for scheme in schemes}

_WHEN: dict[str, str] = {
    NotifyPolicy.ALWAYS: "after every run",
    NotifyPolicy.AGENT: "when the agent has news (and if a run fails)",
    NotifyPolicy.FAILURE: "only if a run fails",
}

NO_CHANNELS = (
    "No channels yet, so nothing reaches the person. They add one with "
    "'agentcron channels add NAME sms:+NUMBER' (text messages) or "
    "'agentcron channels add NAME email:ADDRESS'; any Apprise URL works too."
)


def channel_kind(shown: str) -> str:
    """email, sms, telegram or webhook, else the service's own scheme (slack, ntfy...)."""
    scheme = shown.split("://", 1)[0] if "://" in shown else shown.partition(":")[0]
    scheme = scheme.strip().lower()
    return _KIND_OF.get(scheme, scheme or "unknown")


def channel_line(channel: ChannelView) -> str:
    default = " (default)" if channel.is_default else ""
    return f"- {channel.name}: {channel_kind(channel.shown)}, {channel.shown}{default}"


def telling(task: TaskView, defaults: Sequence[str] | None = None) -> str:
    """Where and when the task's runs tell its person, e.g. 'told on phone only if a run
    fails'. ``defaults`` names the owner's default channels, when known."""
    if task.notify_policy == NotifyPolicy.NEVER:
        return "never told (notify_when never)"
    if task.notify:
        where = _names(task.notify)
    elif defaults is None:
        where = "your default channels"
    elif defaults:
        where = f"your default channels ({_names(defaults)})"
    else:
        where = "your default channels (none yet: nothing reaches you until you add one)"
    when = _WHEN.get(task.notify_policy, task.notify_policy)
    urgent = ", even in quiet hours" if task.urgent else ""
    return f"told on {where} {when}{urgent}"


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


async def default_channels(deps: ChatDeps) -> list[str]:
    """The names of the person's default channels: where tasks naming none are told."""
    channels = await deps.service.notifications.channels(deps.owner.id)
    return [channel.name for channel in channels if channel.is_default]


async def list_channels(ctx: RunContext[ChatDeps]) -> str:
    """The person's notification channels: name, kind (email, sms, telegram, webhook...),
    masked address, and which are defaults (where tasks that name no channel are told)."""
    channels = await ctx.deps.service.notifications.channels(ctx.deps.owner.id)
    return "\n".join(channel_line(channel) for channel in channels) or NO_CHANNELS
